using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.AppHost;

/// <summary>
/// <c>dotnet run --project RemoteGpu.AppHost</c> as a person runs it in a terminal (its launch profile, its
/// dashboard; a process group of its own, as a shell's foreground job has), with the stand-in images, data volumes
/// of its own, and free ports for the edge and the dashboard instead of 5080 and 18888.
/// </summary>
internal sealed partial class AppHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private AppHostProcess(Process process, int edgePort, int[] dashboardPorts)
    {
        _process = process;
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

    public static AppHostProcess Start(params (string Name, string Value)[] environment)
    {
        var ports = Ports.Free(4);
        var edgePort = ports[0];
        int[] dashboard = ports[1..];
        var startInfo = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repository.Root,
            ArgumentList =
            {
                // Ctrl+C's SIGINT as a terminal delivers it, even where this test run ignores SIGINT (a background job),
                // which children inherit; setsid makes the process group that receives it. Both exec: the pid stays.
                "--default-signal=INT", "setsid",
                "dotnet", "run", "--project", "RemoteGpu.AppHost", "--no-build", "--configuration", Repository.Configuration, "--",
                // Command-line configuration outranks the launch profile's environment: the same settings, other ports.
                $"--ASPNETCORE_URLS=http://localhost:{dashboard[0]}",
                $"--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://localhost:{dashboard[1]}",
                $"--ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://localhost:{dashboard[2]}",
            },
        };
        foreach (var argument in TestPlatform.Arguments(edgePort))
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }
        var process = new Process { StartInfo = startInfo };
        var appHost = new AppHostProcess(process, edgePort, dashboard);
        process.OutputDataReceived += (_, e) => appHost.Append(e.Data);
        process.ErrorDataReceived += (_, e) => appHost.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return appHost;
    }

    /// <summary>Waits for the AppHost's "RemoteGpu is ready" line, printed once every resource is healthy.</summary>
    public async Task WaitForReadyAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Output.Contains("RemoteGpu is ready at", StringComparison.Ordinal))
        {
            Assert.False(_process.HasExited, $"The AppHost exited with {(_process.HasExited ? _process.ExitCode : 0)}:\n{Output}");
            Assert.True(clock.Elapsed < timeout, $"Not ready within {timeout}:\n{Output}");
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
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
        Assert.Equal(0, kill.ExitCode);
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
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    [GeneratedRegex(@"Login to the dashboard at (http://\S+/login\?t=[0-9a-f]+)")]
    private static partial Regex LoginUrl();
}
