using System.Diagnostics;
using System.Net;
using Aspire.Hosting.ApplicationModel;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Environments;
using RemoteGpu.Tests.Infrastructure;
using StackExchange.Redis;
using static RemoteGpu.Tests.Environments.EnvironmentDriver;

namespace RemoteGpu.Tests.Environments;

[CollectionDefinition(Name)]
public sealed class ChaosCollection : ICollectionFixture<ChaosPlatform>
{
    public const string Name = "Chaos";
}

/// <summary>
/// A platform of its own, because these tests take its stores and the Docker engine away: its worker checks health every
/// second (a change after two results in a row) and reconciles every two seconds, so that what an outage lost is found
/// and sent again within seconds (the defaults are 15 s and 10 s).
/// </summary>
public sealed class ChaosPlatform : IAsyncLifetime
{
    public PlatformFixture Platform { get; } = new(environmentDomain: null, new Dictionary<string, string>
    {
        ["Health:Interval"] = "00:00:01",
        ["Health:Threshold"] = "2",
        ["Health:ProbeTimeout"] = "00:00:02",
        ["Health:RepairBackoff"] = "00:00:05",
        ["Health:StartupGrace"] = "00:01:00",
        ["Provisioning:ReconcileInterval"] = "00:00:02",
        ["Provisioning:ReconcileGrace"] = "00:00:05",
    });

    public async Task InitializeAsync()
    {
        await Platform.InitializeAsync();
        await EnsureTestImageListedAsync(Platform);
    }

    public Task DisposeAsync() => Platform.DisposeAsync();
}

/// <summary>
/// Chaos through the real platform (issue 14): Redis restarted and flushed while an environment is being created,
/// Postgres restarted while one is being created, the Docker engine restarted under running environments. Each ends with
/// no environment lost, no orphan container, every environment converged to what its owner asked for, and every request
/// made during an outage either done or refused with a problem and nothing half-made.
/// </summary>
[Collection(ChaosCollection.Name)]
[Trait("Category", "E2E")]
public sealed class ChaosTests(ChaosPlatform fixture) : IDisposable
{
    private static readonly TimeSpan OutageTimeout = TimeSpan.FromMinutes(3);
    private readonly PlatformFixture _platform = fixture.Platform;
    private readonly DockerClient _docker = new DockerClientBuilder().Build();

    public void Dispose() => _docker.Dispose();

    [Fact]
    public async Task RedisFlushedAndRestartedMidCreate_LosesNoEnvironment_AndARequestDuringTheOutageIsRefusedWithNothingHalfMade()
    {
        var owner = await _platform.CreateUserAsync();
        var during = await CreateMidCreateAsync(owner);

        // Everything Redis held goes (streams, consumer groups, pending entries, locks, one-time reveals), then Redis.
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(_platform.RedisConnectionString + ",allowAdmin=true"))
        {
            await redis.GetServer(redis.GetEndPoints()[0]).FlushAllDatabasesAsync();
        }
        await StopAsync("redis");
        var refused = await CreateRefusedAsync(owner);
        await StartAsync("redis");
        await AssertNothingMadeAsync(owner, refused);

        var after = await CreateIdAsync(owner);
        await AssertConvergedAsync(owner, [during, after]);
        await DeleteAsync(owner, [during, after]);
    }

    [Fact]
    public async Task PostgresRestartedMidCreate_LosesNoEnvironment_AndARequestDuringTheOutageIsRefusedWithNothingHalfMade()
    {
        var owner = await _platform.CreateUserAsync();
        var during = await CreateMidCreateAsync(owner);

        await StopAsync("postgres");
        var refused = await CreateRefusedAsync(owner);
        await StartAsync("postgres");
        NpgsqlConnection.ClearAllPools(); // this process's own pooled connections died with the server
        await AssertNothingMadeAsync(owner, refused);

        var after = await CreateIdAsync(owner);
        await AssertConvergedAsync(owner, [during, after]);
        await DeleteAsync(owner, [during, after]);
    }

    [Fact]
    public async Task TheDockerEngineRestarted_RunningEnvironmentsComeBackOnTheirVolumes_AndAStoppedOneStaysStopped()
    {
        var owner = await _platform.CreateUserAsync();
        var running = new List<(string Id, string Password, int Port)>();
        foreach (var _ in Enumerable.Range(0, 2))
        {
            var created = await CreateAsync(owner.Client, idleTimeoutMinutes: 0);
            var ssh = created.GetProperty("access_info").GetProperty("ssh");
            running.Add((created.GetProperty("environment").GetProperty("id").GetString()!, ssh.GetProperty("password").GetString()!, ssh.GetProperty("port").GetInt32()));
        }
        var stopped = await CreateIdAsync(owner);
        foreach (var (id, password, port) in running)
        {
            await WaitForStatusAsync(owner.Client, id, "running");
            using var ssh = Ssh(port, "remotegpu", password);
            ssh.ConnectRetryingTransport();
            Run(ssh, $"echo {id} > /workspace/kept.txt");
        }
        await WaitForStatusAsync(owner.Client, stopped, "running");
        using (var stop = await owner.Client.PostAsync($"/api/environments/{stopped}/stop"))
        {
            Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
        }
        await WaitForStatusAsync(owner.Client, stopped, "stopped");
        var before = new Dictionary<string, ContainerInspectResponse>();
        foreach (var (id, _, _) in running)
        {
            before[id] = await ContainerOfAsync(_docker, id);
        }

        await RestartDockerEngineAsync();
        // The engine stopped every container, the platform's own Postgres and Redis among them: started again as from
        // the dashboard, as an operator would (Aspire does not restart a container that exited).
        foreach (var store in new[] { "postgres", "redis" })
        {
            await StartAsync(store);
        }
        NpgsqlConnection.ClearAllPools();

        // Self-healing finds each running one's container stopped and starts it.
        foreach (var (id, _, _) in running)
        {
            await Poll.UntilAsync(async () =>
            {
                using var response = await owner.Client.GetAsync($"/api/environments/{id}/health");
                var health = await ApiClient.ReadAsync(response);
                return health.GetProperty("overall").GetString() == "healthy"
                    && health.GetProperty("history").EnumerateArray().Any(h =>
                        h.GetProperty("kind").GetString() == "repair" && h.GetProperty("detail").GetString() == "restart_container");
            }, OutageTimeout, $"{id} repaired");
        }
        await AssertConvergedAsync(owner, [.. running.Select(r => r.Id), stopped]);
        foreach (var (id, password, port) in running)
        {
            var after = await ContainerOfAsync(_docker, id);
            Assert.Equal(before[id].ID, after.ID); // started again, not recreated
            Assert.NotEqual(before[id].State!.StartedAt, after.State!.StartedAt);
            using var ssh = Ssh(port, "remotegpu", password);
            ssh.ConnectRetryingTransport();
            Assert.Equal(id, Run(ssh, "cat /workspace/kept.txt"));
        }
        Assert.False((await ContainerOfAsync(_docker, stopped)).State!.Running);
        await DeleteAsync(owner, [.. running.Select(r => r.Id), stopped]);
    }

    /// <summary>Creates an environment and returns once its container exists: the worker is in the middle of creating it.</summary>
    private async Task<string> CreateMidCreateAsync(TestUser owner)
    {
        var id = await CreateIdAsync(owner);
        await Poll.UntilAsync(async () => (await ManagedContainersAsync()).Any(c => c.Labels["remotegpu.env-id"] == id),
            ConvergeTimeout, $"the container of {id} being created");
        return id;
    }

    private static async Task<string> CreateIdAsync(TestUser owner) =>
        (await CreateAsync(owner.Client, idleTimeoutMinutes: 0)).GetProperty("environment").GetProperty("id").GetString()!;

    /// <summary>A create while a store is down is refused with a problem (503, try again later); returns the name asked for.</summary>
    private static async Task<string> CreateRefusedAsync(TestUser owner)
    {
        var name = "refused-" + Guid.NewGuid().ToString("N")[..8];
        using var refused = await owner.Client.PostAsync("/api/environments",
            new { name, image = TestImage, gpu_count = 0, cpu_cores = 1, memory_mb = 512 });
        Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)refused.StatusCode}: {await refused.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(refused.Headers.RetryAfter);
        return name;
    }

    /// <summary>The refused create left no row behind (and so nothing for the worker to make).</summary>
    private async Task AssertNothingMadeAsync(TestUser owner, string name)
    {
        await using var db = _platform.CreateDbContext();
        Assert.False(await db.Environments.AnyAsync(e => e.OwnerId == owner.Id && e.Name == name), "A refused create left its row.");
    }

    /// <summary>
    /// Every environment reaches what its owner asked for and is healthy where it runs; the engine holds exactly one
    /// container per live environment of this platform and none other of it (no orphan, none lost or doubled).
    /// </summary>
    private async Task AssertConvergedAsync(TestUser owner, IReadOnlyList<string> ids)
    {
        foreach (var id in ids)
        {
            using var response = await owner.Client.GetAsync($"/api/environments/{id}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var desired = (await ApiClient.ReadAsync(response)).GetProperty("desired_state").GetString()!;
            await WaitForStatusAsync(owner.Client, id, desired, OutageTimeout);
            if (desired == "running")
            {
                await Poll.UntilAsync(async () =>
                {
                    using var health = await owner.Client.GetAsync($"/api/environments/{id}/health");
                    return (await ApiClient.ReadAsync(health)).GetProperty("overall").GetString() == "healthy";
                }, OutageTimeout, $"{id} healthy");
            }
        }
        await using var db = _platform.CreateDbContext();
        var platformId = await PlatformInstance.GetIdAsync(db, CancellationToken.None);
        var live = await db.Environments.AsNoTracking().Where(e => e.Status != EnvironmentStatus.Deleted).Select(e => e.Id).ToListAsync();
        var containers = (await ManagedContainersAsync()).Where(c => c.Labels["remotegpu.platform"] == platformId).Select(c => c.Labels["remotegpu.env-id"]).ToList();
        Assert.Equal(containers.Count, containers.Distinct().Count());
        Assert.Empty(containers.Except(live));
        Assert.All(ids, id => Assert.Contains(id, containers));
    }

    private static async Task DeleteAsync(TestUser owner, IReadOnlyList<string> ids)
    {
        foreach (var id in ids)
        {
            using var deleted = await owner.Client.DeleteAsync($"/api/environments/{id}");
            Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        }
        foreach (var id in ids)
        {
            await WaitForDeletedAsync(owner.Client, id);
        }
    }

    private async Task<IList<ContainerListResponse>> ManagedContainersAsync() =>
        await _docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { ["remotegpu.managed=true"] = true } },
        });

    private async Task StopAsync(string resource)
    {
        using var timeout = new CancellationTokenSource(OutageTimeout);
        var stopped = await _platform.App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StopCommand, timeout.Token);
        Assert.True(stopped.Success, stopped.Message);
        await _platform.App.ResourceNotifications.WaitForResourceAsync(
            resource, e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), timeout.Token);
    }

    private async Task StartAsync(string resource)
    {
        using var timeout = new CancellationTokenSource(OutageTimeout);
        var started = await _platform.App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, timeout.Token);
        Assert.True(started.Success, started.Message);
        await _platform.App.ResourceNotifications.WaitForResourceHealthyAsync(resource, WaitBehavior.WaitOnResourceUnavailable, timeout.Token);
    }

    /// <summary>
    /// Stops the host's Docker engine the way a package upgrade does (every container is stopped with it; none of ours
    /// has a restart policy) and starts it again with the script that started it.
    /// </summary>
    private static async Task RestartDockerEngineAsync()
    {
        if (Directory.Exists("/run/systemd/system"))
        {
            await RunAsync("systemctl", "stop", "docker.socket", "docker.service");
        }
        else
        {
            using var dockerd = Process.GetProcessById(int.Parse(await File.ReadAllTextAsync("/var/run/docker.pid"), System.Globalization.CultureInfo.InvariantCulture));
            await RunAsync("kill", "-TERM", dockerd.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var exited = new CancellationTokenSource(OutageTimeout);
            await dockerd.WaitForExitAsync(exited.Token);
        }
        await RunAsync("bash", Path.Combine(Repository.Root, "scripts", "prerequisites.sh"));
    }

    private static async Task RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(OutageTimeout);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {await output}{await error}");
    }
}
