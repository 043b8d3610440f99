using System.Collections.Concurrent;

namespace RemoteGpu.AppHost.Orchestration;

/// <summary>The console output of every resource, the last <see cref="ResourceLog.Capacity"/> lines of each.</summary>
public sealed class ResourceLoggerService
{
    private readonly ConcurrentDictionary<string, ResourceLog> _logs = new();
    private readonly TimeProvider _time;

    public ResourceLoggerService(TimeProvider time)
    {
        _time = time;
    }

    public ResourceLog this[string resourceName] => _logs.GetOrAdd(resourceName, _ => new ResourceLog(_time));
}

public readonly record struct LogLine(long Sequence, DateTimeOffset Timestamp, string Text, bool IsError);

/// <summary>A bounded ring of console lines with sequence numbers, so a reader can follow it without missing or repeating lines.</summary>
public sealed class ResourceLog
{
    public const int Capacity = 2000;

    private readonly Lock _lock = new();
    private readonly LogLine[] _ring = new LogLine[Capacity];
    private readonly TimeProvider _time;
    private long _next;
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal ResourceLog(TimeProvider time)
    {
        _time = time;
    }

    public void Append(string text, bool isError)
    {
        TaskCompletionSource appended;
        lock (_lock)
        {
            _ring[_next % Capacity] = new LogLine(_next, _time.GetUtcNow(), text, isError);
            _next++;
            appended = _appended;
            _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        appended.SetResult();
    }

    /// <summary>Lines with a sequence number of at least <paramref name="from"/> still in the ring, oldest first.</summary>
    public IReadOnlyList<LogLine> Read(long from = 0)
    {
        lock (_lock)
        {
            var start = Math.Max(from, _next - Capacity);
            var lines = new List<LogLine>((int)Math.Max(0, _next - start));
            for (var sequence = start; sequence < _next; sequence++)
            {
                lines.Add(_ring[sequence % Capacity]);
            }
            return lines;
        }
    }

    /// <summary>Completes once a line with a sequence number of at least <paramref name="from"/> exists.</summary>
    public async Task WaitForLinesAsync(long from, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task appended;
            lock (_lock)
            {
                if (_next > from)
                {
                    return;
                }
                appended = _appended.Task;
            }
            await appended.WaitAsync(cancellationToken);
        }
    }
}
