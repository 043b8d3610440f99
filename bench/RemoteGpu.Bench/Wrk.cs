using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace RemoteGpu.Bench;

/// <summary>One wrk run: requests per second, latency percentiles, and whatever did not answer 2xx.</summary>
internal sealed record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, long Non2xx, long SocketErrors)
{
    public long Errors => Non2xx + SocketErrors;

    /// <summary>CPU time of the contender's process tree per request, in microseconds.</summary>
    public double CpuUs { get; init; }

    /// <summary>CPU time of the upstream per request while this contender was measured, in microseconds.</summary>
    public double UpstreamCpuUs { get; init; }
}

/// <summary>
/// Runs wrk (Debian's <c>wrk</c>, 4.x) with the same threads and connections for every contender:
/// <c>wrk -t&lt;t&gt; -c&lt;c&gt; -d&lt;d&gt;s --latency -H 'Host: …' -s &lt;script&gt; http://127.0.0.1:&lt;port&gt;/jupyter/api/status</c>.
/// The Authorization header comes from a two-line Lua script that reads it from wrk's environment, so the
/// token appears in no command line; the script defines no <c>request</c> function, so wrk still sends one
/// pre-built request (its fast path).
/// </summary>
internal sealed partial class Wrk : IDisposable
{
    private const string AuthorizationVariable = "REMOTEGPU_BENCH_AUTHORIZATION";
    private readonly string _directory;
    private readonly string _script;
    private readonly int _threads;
    private readonly int _connections;

    public Wrk(int threads, int connections)
    {
        _threads = threads;
        _connections = connections;
        _directory = Directory.CreateTempSubdirectory("remotegpu-bench-wrk-").FullName;
        _script = Path.Combine(_directory, "authorization.lua");
        File.WriteAllText(_script, $"""
            -- RemoteGpu.Bench (edge): the same Authorization header for every contender, from the environment.
            wrk.headers["Authorization"] = os.getenv("{AuthorizationVariable}")
            """);
    }

    public string Describe(TimeSpan duration) => $"wrk -t{_threads} -c{_connections} -d{duration.TotalSeconds:F0}s --latency";

    public async Task<WrkResult> RunAsync(Uri url, string host, string authorization, TimeSpan duration)
    {
        var start = new ProcessStartInfo("wrk")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            $"-t{_threads}", $"-c{_connections}", $"-d{duration.TotalSeconds:F0}s", "--latency", "--timeout", "10s",
            "-s", _script, "-H", $"Host: {host}", url.ToString(),
        })
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment[AuthorizationVariable] = authorization;

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start wrk.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"wrk exited with {process.ExitCode}: {await errors}{await output}");
        }
        return Parse(await output);
    }

    public static WrkResult Parse(string output)
    {
        var rps = RequestsPerSecond().Match(output);
        var p50 = Percentile50().Match(output);
        var p99 = Percentile99().Match(output);
        var requests = Requests().Match(output);
        if (!rps.Success || !p50.Success || !p99.Success || !requests.Success)
        {
            throw new FormatException($"Unexpected wrk output:\n{output}");
        }
        var non2xx = Non2xx().Match(output);
        var socket = SocketErrors().Match(output);
        return new WrkResult(
            double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture),
            Milliseconds(p50),
            Milliseconds(p99),
            long.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture),
            non2xx.Success ? long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            socket.Success ? Enumerable.Range(1, 4).Sum(i => long.Parse(socket.Groups[i].Value, CultureInfo.InvariantCulture)) : 0);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static double Milliseconds(Match match)
    {
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "us" => value / 1000,
            "ms" => value,
            "s" => value * 1000,
            "m" => value * 60_000,
            var unit => throw new FormatException($"Unknown wrk latency unit '{unit}'."),
        };
    }

    [GeneratedRegex(@"^Requests/sec:\s+([\d.]+)", RegexOptions.Multiline)]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$", RegexOptions.Multiline)]
    private static partial Regex Percentile50();

    [GeneratedRegex(@"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", RegexOptions.Multiline)]
    private static partial Regex Percentile99();

    [GeneratedRegex(@"^\s+(\d+) requests in ", RegexOptions.Multiline)]
    private static partial Regex Requests();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();
}
