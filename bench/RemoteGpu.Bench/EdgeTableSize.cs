using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace RemoteGpu.Bench;

/// <summary>
/// The edge's route table, switched between its small size and a large one on the same edge process:
/// the bulk environments are added with COPY and removed with DELETE, each in one transaction (one
/// notification per row at commit). A resize returns once the edge has applied it: notifications are
/// applied in order, so once a row committed after the resize answers 200 through the edge, the resize
/// is in. Those sentinel rows are removed with the bulk.
/// </summary>
internal sealed class EdgeTableSize(
    EdgeRows rows, NpgsqlDataSource dataSource, HttpClient http, Contender edge, EnvironmentIds ids, string authorization, EdgeBenchmarkOptions options)
{
    private static readonly TimeSpan CatchUpTimeout = TimeSpan.FromMinutes(5);

    private readonly List<string> _bulk = ids.Take(options.LargeTable - options.Environments);
    private readonly List<string> _sentinels = [];

    public bool IsLarge { get; private set; }

    /// <summary>The environments in the table now (the small set, the bulk when large, and the last sentinel).</summary>
    public int Count => options.Environments + (IsLarge ? _bulk.Count : 0) + _sentinels.Count;

    public string Describe() => $"edge, {Count.ToString("N0", CultureInfo.InvariantCulture)} routes";

    /// <summary>Large when small and small when large; returns once the edge has applied it.</summary>
    public async Task ResizeAsync()
    {
        var watch = Stopwatch.StartNew();
        string change;
        if (IsLarge)
        {
            await rows.DeleteAsync([.. _bulk, .. _sentinels]);
            change = $"{_bulk.Count + _sentinels.Count} environments deleted";
            _sentinels.Clear();
        }
        else
        {
            await rows.CopyAsync(_bulk);
            change = $"{_bulk.Count} environments added by COPY";
        }
        var committed = watch.Elapsed;
        // What autovacuum would do within a minute of such a change: the edge's queries are not planned on stale statistics.
        await using (var analyze = dataSource.CreateCommand("ANALYZE environments, access_info"))
        {
            await analyze.ExecuteNonQueryAsync();
        }
        var sentinel = ids.Next();
        await rows.InsertAsync(sentinel);
        _sentinels.Add(sentinel);
        await EdgeContenders.WaitForOkAsync(http, edge.For(sentinel), authorization, process: null, CatchUpTimeout);
        IsLarge = !IsLarge;
        Console.WriteLine($"  {change}: committed in {committed.TotalSeconds:F1} s, applied by the edge {watch.Elapsed.TotalSeconds:F1} s after the start");
    }
}
