using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using RemoteGpu.AppHost.Orchestration;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.AppHost;

/// <summary>
/// <c>dotnet RemoteGpu.AppHost.dll</c> in run mode as a real process, with a fresh state folder, a free port for
/// every endpoint and for the dashboard, and Postgres and Redis from the machine's binaries.
/// </summary>
internal sealed class AppHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly HttpClient _dashboard;

    private AppHostProcess(Process process, string stateFolder, int dashboardPort)
    {
        _process = process;
        StateFolder = stateFolder;
        DashboardPort = dashboardPort;
        _dashboard = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{dashboardPort}"), Timeout = TimeSpan.FromSeconds(5) };
    }

    public int Pid => _process.Id;

    public string StateFolder { get; }

    public int DashboardPort { get; }

    public HttpClient Dashboard => _dashboard;

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

    public static AppHostProcess Start()
    {
        var stateFolder = Directory.CreateTempSubdirectory("remotegpu-apphost-run-").FullName;
        var dashboardPort = new PortAllocator().Allocate();
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                Repository.ServiceAssembly("RemoteGpu.AppHost"),
                $"--AppHost:StateDirectory={stateFolder}",
                "--AppHost:ProxyPort=0",
                $"--AppHost:Dashboard:Port={dashboardPort.ToString(CultureInfo.InvariantCulture)}",
                "--AppHost:ContainerRuntime=None",
            },
            Environment = { ["DOTNET_ENVIRONMENT"] = "Development" },
        };
        var process = new Process { StartInfo = startInfo };
        var appHost = new AppHostProcess(process, stateFolder, dashboardPort);
        process.OutputDataReceived += (_, e) => appHost.Append(e.Data);
        process.ErrorDataReceived += (_, e) => appHost.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return appHost;
    }

    /// <summary>Polls the dashboard's <c>/api/resources</c> until every resource is healthy; returns that answer.</summary>
    public async Task<JsonElement> WaitForAllHealthyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var last = "(no answer yet)";
        while (deadline.Elapsed < timeout)
        {
            Assert.False(_process.HasExited, $"The AppHost exited with {(_process.HasExited ? _process.ExitCode : 0)}:\n{Output}");
            try
            {
                last = await _dashboard.GetStringAsync(new Uri("/api/resources", UriKind.Relative));
                var resources = JsonDocument.Parse(last).RootElement;
                var running = resources.EnumerateArray().Where(resource => resource.GetProperty("kind").GetString() != ResourceKinds.Parameter).ToList();
                if (running.Count == AppHostTopology.Resources.Length && running.All(resource => resource.GetProperty("is_healthy").GetBoolean()))
                {
                    return resources.Clone();
                }
            }
            catch (HttpRequestException)
            {
                // The dashboard is not listening yet.
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
        throw new TimeoutException($"Not every resource became healthy within {timeout}. Last answer: {last}\nAppHost output:\n{Output}");
    }

    /// <summary>Waits for the AppHost to exit; false when it is still running after <paramref name="timeout"/>.</summary>
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

    public void Kill() => _process.Kill();

    public static (IReadOnlyList<int> Pids, IReadOnlyList<int> Ports) ProcessesAndPorts(JsonElement resources) =>
        (
            [.. resources.EnumerateArray().Where(r => r.GetProperty("process_id").ValueKind == JsonValueKind.Number).Select(r => r.GetProperty("process_id").GetInt32())],
            [.. resources.EnumerateArray().SelectMany(r => r.GetProperty("endpoints").EnumerateArray()).Select(e => new Uri(e.GetProperty("url").GetString()!).Port)]
        );

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _dashboard.Dispose();
        Directory.Delete(StateFolder, recursive: true);
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
}
