using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Docker.DotNet;
using Docker.DotNet.Models;
using RemoteGpu.Tests.Infrastructure;
using static RemoteGpu.Tests.Environments.EnvironmentDriver;

namespace RemoteGpu.Tests.Environments;

/// <summary>
/// At-least-once provisioning, for real: the worker is killed with SIGKILL while it is creating a
/// container; Aspire shows it exited with the signal's code, and its start command (what the dashboard's
/// Start button runs) starts it again. The new worker claims the message the dead one held, and the
/// environment comes up — with one container, not two, and no orphan.
/// </summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class WorkerCrashTests(PlatformFixture platform) : IAsyncLifetime
{
    private readonly DockerClient _docker = new DockerClientBuilder().Build();

    public Task InitializeAsync() => EnsureTestImageListedAsync(platform);

    public Task DisposeAsync()
    {
        _docker.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task KillingTheWorkerMidCreate_StillEndsRunningWithOneContainerAndNoOrphans()
    {
        var user = await platform.CreateUserAsync();
        var workerPid = platform.App.Snapshot("worker").ProcessId();

        var created = await CreateAsync(user.Client);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;
        var password = created.GetProperty("access_info").GetProperty("ssh").GetProperty("password").GetString()!;
        var port = created.GetProperty("access_info").GetProperty("ssh").GetProperty("port").GetInt32();

        // The moment the container exists, the worker is in the middle of this create: kill it there.
        await Poll.UntilAsync(async () => (await ContainersOfAsync(id)).Count > 0, ConvergeTimeout, "container being created");
        using (var worker = Process.GetProcessById(workerPid))
        {
            worker.Kill(entireProcessTree: true); // SIGKILL, to `dotnet run` and the service under it
            await worker.WaitForExitAsync();
        }

        using (var cts = new CancellationTokenSource(ConvergeTimeout))
        {
            var exited = await platform.App.ResourceNotifications.WaitForResourceAsync(
                "worker", e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), cts.Token);
            Assert.NotEqual(0, exited.Snapshot.ExitCode);

            var started = await platform.App.ResourceCommands.ExecuteCommandAsync("worker", KnownResourceCommands.StartCommand, cts.Token);
            Assert.True(started.Success, started.Message);
            await platform.App.ResourceNotifications.WaitForResourceHealthyAsync(
                "worker", WaitBehavior.WaitOnResourceUnavailable, cts.Token);
            Assert.NotEqual(workerPid, platform.App.Snapshot("worker").ProcessId());
        }
        await WaitForStatusAsync(user.Client, id, "running");

        Assert.Single(await ContainersOfAsync(id));
        Assert.True(CanLogIn(port, "remotegpu", password));
        var managed = await _docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { ["remotegpu.managed=true"] = true } },
        });
        var names = managed.SelectMany(c => c.Names).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());

        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await user.Client.DeleteAsync($"/api/environments/{id}")).StatusCode);
    }

    private async Task<IList<ContainerListResponse>> ContainersOfAsync(string id) =>
        await _docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"remotegpu.env-id={id}"] = true } },
        });
}
