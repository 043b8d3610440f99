using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.AppHost;

/// <summary>
/// <c>dotnet run --project RemoteGpu.AppHost</c> as a person runs it in a terminal (its launch profile, its
/// dashboard; a process group of its own, as a shell's foreground job has), on free ports for the edge and the
/// dashboard instead of 5080 and 18888. The tests run this repository's AppHost with the stand-in images and data
/// volumes of its own; the AppHost benchmark also runs an older one from a worktree.
/// </summary>
internal sealed partial class AppHostProcess : IAsyncDisposable
{
    /// <summary>What this repository's AppHost prints once every resource is healthy (ReadyBanner).</summary>
    public const string ReadyLine = "RemoteGpu is ready at";

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _readyLine;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TaskCompletionSource<TimeSpan> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AppHostProcess(Process process, string readyLine, int edgePort, int[] dashboardPorts)
    {
        _process = process;
        _readyLine = readyLine;
        EdgePort = edgePort;
        DashboardPorts = dashboardPorts;
    }

    /// <summary>The <c>dotnet run</c> process, leader of its process group.</summary>
    public int Pid => _process.Id;

    public int EdgePort { get; }

    /// <summary>The dashboard's browser, OTLP and resource-service ports.</summary>
    public int[] DashboardPorts { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The dashboard's login URL with its token, as Aspire printed it.</summary>
    public Uri? DashboardLoginUrl => LoginUrl().Match(Output) is { Success: true } match ? new Uri(match.Groups[1].Value) : null;

    /// <summary>This repository's AppHost, as the tests run it.</summary>
    public static AppHostProcess Start(params (string Name, string Value)[] environment) =>
        Start(Repository.Root, Repository.Configuration, ReadyLine, environment, (edge, dashboard) =>
        [
            // Command-line configuration outranks the launch profile's environment: the same settings, other ports.
            $"--ASPNETCORE_URLS=http://localhost:{dashboard[0]}",
            $"--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://localhost:{dashboard[1]}",
            $"--ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://localhost:{dashboard[2]}",
            .. TestPlatform.Arguments(edge),
        ]);

    /// <summary>
    /// The AppHost of the repository at <paramref name="root"/>, built in <paramref name="configuration"/>, with the
    /// arguments <paramref name="arguments"/> makes of the edge's port and the dashboard's three.
    /// </summary>
    public static AppHostProcess Start(
        string root, string configuration, string readyLine, IEnumerable<(string Name, string Value)> environment, Func<int, int[], string[]> arguments)
    {
        var ports = Ports.Free(4);
        var startInfo = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
            ArgumentList =
            {
                // Ctrl+C's SIGINT as a terminal delivers it, even where this run ignores SIGINT (a background job),
                // which children inherit; setsid makes the process group that receives it. Both exec: the pid stays.
                "--default-signal=INT", "setsid",
                "dotnet", "run", "--project", "RemoteGpu.AppHost", "--no-build", "--configuration", configuration, "--",
            },
        };
        foreach (var argument in arguments(ports[0], ports[1..]))
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }
        var process = new Process { StartInfo = startInfo };
        var appHost = new AppHostProcess(process, readyLine, ports[0], ports[1..]);
        process.OutputDataReceived += (_, e) => appHost.Append(e.Data);
        process.ErrorDataReceived += (_, e) => appHost.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return appHost;
    }

    /// <summary>Waits for the ready line (printed once every resource is healthy); returns how long after the start it came.</summary>
    public async Task<TimeSpan> WaitForReadyAsync(TimeSpan timeout)
    {
        var exited = _process.WaitForExitAsync();
        if (await Task.WhenAny(_ready.Task, exited, Task.Delay(timeout)) != _ready.Task)
        {
            throw new TimeoutException(_process.HasExited
                ? $"The AppHost exited with {_process.ExitCode} before it was ready:\n{Output}"
                : $"The AppHost was not ready within {timeout}:\n{Output}");
        }
        return await _ready.Task;
    }

    /// <summary>The AppHost itself: the child of <c>dotnet run</c>.</summary>
    public int AppHostPid() =>
        ProcessTree.ChildrenOf(Pid).Single(child => ProcessTree.CommandLine(child).Contains("RemoteGpu.AppHost", StringComparison.Ordinal));

    /// <summary>Ctrl+C: SIGINT to every process of the run command's process group, as a terminal sends it.</summary>
    public Task InterruptAsync() => SignalAsync(-Pid, "INT");

    /// <summary>Sends <paramref name="signal"/> (<c>INT</c>, <c>TERM</c>, <c>KILL</c>) to <paramref name="pid"/> (a process group if negative).</summary>
    public static async Task SignalAsync(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, "--", pid.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {pid} failed with {kill.ExitCode}.");
        }
    }

    /// <summary>Waits for <c>dotnet run</c> to exit; false when it is still running after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
            return true;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
        if (line.Contains(_readyLine, StringComparison.Ordinal))
        {
            _ready.TrySetResult(_clock.Elapsed);
        }
    }

    [GeneratedRegex(@"Login to the dashboard at (http://\S+/login\?t=[0-9a-f]+)")]
    private static partial Regex LoginUrl();
}
