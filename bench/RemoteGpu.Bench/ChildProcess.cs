using System.Diagnostics;

namespace RemoteGpu.Bench;

/// <summary>
/// A process the benchmark starts (the upstream, a contender). It runs under a small bash watchdog that
/// stops it when the benchmark's end of its standard input closes — on dispose, and just as well when the
/// benchmark is killed — so none outlives the run. The last lines it printed are kept for error messages.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    // $0 = the name, $@ = the program and its arguments. fd 3 keeps the benchmark's pipe: a background
    // job's own stdin is /dev/null. The watchdog exits with the program, so HasExited tells a crash.
    private const string Watchdog = """
        exec 3<&0
        "$@" </dev/null &
        child=$!
        { while read -r _ <&3; do :; done; kill -TERM "$child" 2>/dev/null; } &
        watcher=$!
        trap 'kill -TERM "$child" 2>/dev/null' INT TERM HUP
        wait "$child"
        status=$?
        kill "$watcher" 2>/dev/null
        exit "$status"
        """;

    private const int TailLines = 40;
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly Queue<string> _tail = new();

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    /// <summary>The watchdog's; the program runs below it (<see cref="ProcessCpu.TreeTimes"/> counts both).</summary>
    public int ProcessId => _process.Id;

    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("/bin/bash")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Watchdog);
        start.ArgumentList.Add(name);
        start.ArgumentList.Add(fileName);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {name} ({fileName}).");
        var child = new ChildProcess(name, process);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Throws, with what it printed last, when the process has already ended.</summary>
    public void EnsureRunning()
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}:\n{Tail()}");
        }
    }

    public string Tail()
    {
        lock (_tail)
        {
            return string.Join('\n', _tail);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(StopTimeout);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }
        }
    }
}
