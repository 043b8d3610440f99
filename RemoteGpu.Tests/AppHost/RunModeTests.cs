using System.Diagnostics;
using System.Net;
using System.Text.Json;
using RemoteGpu.AppHost.Orchestration;
using RemoteGpu.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RemoteGpu.Tests.AppHost;

/// <summary><c>dotnet run --project RemoteGpu.AppHost</c>, as a person runs it, with free ports instead of 5080 and 18888.</summary>
[Trait("Category", "E2E")]
public sealed class RunModeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task CtrlC_StopsEverythingTheAppHostStarted()
    {
        await using var appHost = AppHostProcess.Start();
        var clock = Stopwatch.StartNew();
        var resources = await appHost.WaitForAllHealthyAsync(AppHostTopology.StartTimeout);
        output.WriteLine($"Process start to all-healthy (dashboard) in {clock.Elapsed.TotalSeconds:F1} s");
        var (pids, ports) = AppHostProcess.ProcessesAndPorts(resources);
        Assert.Equal(5, pids.Count);

        using var page = await appHost.Dashboard.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("RemoteGpu AppHost", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var secrets = StoredSecrets(appHost.StateFolder);
        Assert.All(secrets.Values, secret => Assert.DoesNotContain(secret, resources.GetRawText(), StringComparison.Ordinal));

        clock.Restart();
        Assert.True(Native.Signal(appHost.Pid, Native.SigInt));
        Assert.True(await appHost.WaitForExitAsync(StopTimeout), $"still running {StopTimeout.TotalSeconds} s after Ctrl+C:\n{appHost.Output}");
        output.WriteLine($"Ctrl+C to exit in {clock.Elapsed.TotalSeconds:F1} s");

        Assert.Equal(0, appHost.ExitCode);
        Assert.Empty(Leftovers.LiveProcessGroups(pids));
        Assert.Empty(await Leftovers.ListeningPortsAsync([.. ports, appHost.DashboardPort]));
        var console = appHost.Output;
        Assert.Contains("RemoteGpu is running", console, StringComparison.Ordinal);
        Assert.Contains($"Dashboard: http://localhost:{appHost.DashboardPort}", console, StringComparison.Ordinal);
        // The generated admin password is printed once; the database passwords never.
        Assert.Single(console.Split('\n'), line => line.Contains("admin-password (generated", StringComparison.Ordinal));
        Assert.Equal(1, Occurrences(console, secrets["admin-password"]));
        Assert.Equal(0, Occurrences(console, secrets["postgres-password"]));
        Assert.Equal(0, Occurrences(console, secrets["redis-password"]));
    }

    [Fact]
    public async Task KillingTheAppHostHard_TakesItsProcessesWithIt()
    {
        await using var appHost = AppHostProcess.Start();
        var (pids, _) = AppHostProcess.ProcessesAndPorts(await appHost.WaitForAllHealthyAsync(AppHostTopology.StartTimeout));

        appHost.Kill(); // SIGKILL: no chance to stop anything; the children's parent-death signal must
        Assert.True(await appHost.WaitForExitAsync(StopTimeout));

        // The kernel signals the children as the AppHost dies; they are gone a moment later.
        await Poll.UntilAsync(() => Leftovers.LiveProcessGroups(pids).Count == 0, StopTimeout, "exit of every child of the killed AppHost");
    }

    private static Dictionary<string, string> StoredSecrets(string stateFolder) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path.Combine(stateFolder, "parameters.json")))!;

    private static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
