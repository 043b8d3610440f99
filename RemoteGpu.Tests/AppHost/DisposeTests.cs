using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using RemoteGpu.AppHost.Orchestration;
using Xunit.Abstractions;

namespace RemoteGpu.Tests.AppHost;

[Trait("Category", "E2E")]
public sealed class DisposeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task DisposingTheTopology_LeavesNoProcessListeningPortOrStateFolder()
    {
        var (app, startedIn) = await AppHostTopology.StartAsync("--AppHost:ContainerRuntime=None");
        var stateFolder = app.Services.GetRequiredService<StateDirectory>().Path;
        var (pids, ports) = AppHostTopology.ProcessesAndPorts(app.ResourceNotifications.GetSnapshots());

        var clock = Stopwatch.StartNew();
        await app.DisposeAsync();
        output.WriteLine($"Started to all-healthy in {startedIn.TotalSeconds:F1} s; disposed in {clock.Elapsed.TotalSeconds:F1} s");

        Assert.Equal(5, pids.Count); // postgres, redis, api, worker, proxy
        Assert.Equal(5, ports.Count);
        Assert.Empty(Leftovers.LiveProcessGroups(pids));
        Assert.Empty(await Leftovers.ListeningPortsAsync(ports));
        Assert.False(Directory.Exists(stateFolder), $"{stateFolder} is still there");
    }
}
