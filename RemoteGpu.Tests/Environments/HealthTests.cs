using System.Diagnostics;
using System.Net;
using Aspire.Hosting.ApplicationModel;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.EntityFrameworkCore;
using RemoteGpu.Tests.Infrastructure;
using StackExchange.Redis;
using static RemoteGpu.Tests.Environments.EnvironmentDriver;

namespace RemoteGpu.Tests.Environments;

[CollectionDefinition(Name)]
public sealed class WorkerPolicyCollection : ICollectionFixture<WorkerPolicyPlatform>
{
    public const string Name = "Worker policy";
}

/// <summary>
/// A platform whose worker checks every second and changes a check's state after two results in a row, and stops an
/// environment after 20 s without activity (warned 10 s before), so that health changes, repairs and idle stops happen
/// within seconds (the defaults are 15 s, three and 30 minutes). Probing every second costs an idle test workspace about
/// 10 % of a core (Jupyter, code-server and the probes themselves, measured), so here CPU counts as work from 50 %.
/// </summary>
public sealed class WorkerPolicyPlatform : IAsyncLifetime
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(20);

    public PlatformFixture Platform { get; } = new(environmentDomain: null, new Dictionary<string, string>
    {
        ["Health:Interval"] = "00:00:01",
        ["Health:Threshold"] = "2",
        ["Health:ProbeTimeout"] = "00:00:02",
        ["Health:RepairBackoff"] = "00:00:10",
        ["Health:MaxRepairs"] = "3",
        ["Health:StartupGrace"] = "00:01:00",
        ["Idle:DefaultTimeout"] = "00:00:20",
        ["Idle:Warning"] = "00:00:10",
        ["Idle:CpuThresholdPercent"] = "50",
        ["Idle:MaxKeepAlive"] = "01:00:00",
    });

    public async Task InitializeAsync()
    {
        await Platform.InitializeAsync();
        await EnsureTestImageListedAsync(Platform);
    }

    public Task DisposeAsync() => Platform.DisposeAsync();
}

/// <summary>
/// Health is observed (DESIGN.md §10): every running environment is probed on the <c>remotegpu:health</c> stream —
/// container, SSH banner, Jupyter with the edge's token, code-server where the image serves it — and repaired from the
/// smallest step to the largest: a dead Jupyter or code-server restarted in place, a frozen sshd's container restarted,
/// a stopped container started, a vanished one recreated on its volume, and when repairs do not help, failed with the
/// reason. Real containers, real processes.
/// </summary>
[Collection(WorkerPolicyCollection.Name)]
[Trait("Category", "E2E")]
public sealed class HealthTests(WorkerPolicyPlatform fixture) : IDisposable
{
    private static readonly TimeSpan HealTimeout = TimeSpan.FromMinutes(3);
    private readonly PlatformFixture _platform = fixture.Platform;
    private readonly DockerClient _docker = new DockerClientBuilder().Build();

    public void Dispose() => _docker.Dispose();

    [Fact]
    public async Task ARunningEnvironment_IsHealthyByEveryCheck_AudibleInItsJson_AndHiddenFromOtherUsers()
    {
        var (owner, id, _) = await RunningAsync();
        var health = await WaitForHealthAsync(owner.Client, id, h => h.GetProperty("overall").GetString() == "healthy");

        var access = await AccessRowAsync(_platform, id);
        var expected = new List<string> { "container", "ssh", "jupyter" };
        if (access.CodeServerUpstream is not null)
        {
            expected.Add("code_server");
        }
        var checks = health.GetProperty("checks").EnumerateArray().ToList();
        Assert.Equal(expected.Order(), checks.Select(c => c.GetProperty("name").GetString()!).Order());
        Assert.All(checks, c => Assert.Equal("healthy", c.GetProperty("state").GetString()));
        // Each check went unknown -> healthy after two passes, and says so in the history and the audit log.
        var history = health.GetProperty("history").EnumerateArray().ToList();
        Assert.All(expected, name => Assert.Contains(history, h => h.GetProperty("check").GetString() == name && h.GetProperty("to").GetString() == "healthy"));
        await using (var db = _platform.CreateDbContext())
        {
            var audited = await db.AuditEvents.AsNoTracking().Where(a => a.TargetId == id && a.Action == "environment.health").ToListAsync();
            Assert.Contains(audited, a => Detail(a.Details, "check") == "jupyter" && Detail(a.Details, "to") == "healthy");
        }

        using (var environment = await owner.Client.GetAsync($"/api/environments/{id}"))
        {
            Assert.Equal("healthy", (await ApiClient.ReadAsync(environment)).GetProperty("health").GetString());
        }
        var stranger = await _platform.CreateUserAsync();
        using (var hidden = await stranger.Client.GetAsync($"/api/environments/{id}/health"))
        {
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        }
        using (var missing = await owner.Client.GetAsync("/api/environments/env-00000000/health"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
        await DeleteAsync(owner, id);
    }

    [Theory]
    [InlineData("jupyter", "[j]upyter_server")]
    [InlineData("code_server", "[b]ind-addr")]
    public async Task AKilledService_IsSeenUnhealthy_AndRestartedInPlace_WhileTheContainerKeepsRunning(string check, string process)
    {
        var (owner, id, _) = await RunningAsync();
        await WaitForHealthAsync(owner.Client, id, h => h.GetProperty("overall").GetString() == "healthy");
        if (check == "code_server")
        {
            Assert.NotNull((await AccessRowAsync(_platform, id)).CodeServerUpstream);
        }
        var before = await ContainerAsync(id);

        await ExecAsRootAsync(before.ID, "pkill", "-f", process);

        var health = await WaitForHealthAsync(owner.Client, id, h =>
            h.GetProperty("overall").GetString() == "healthy"
            && Events(h).Any(e => e.Kind == "repair" && e.Check == check && e.Detail == "restart_service"));
        var events = Events(health);
        Assert.Contains(events, e => e.Kind == "change" && e.Check == check && e.To == "unhealthy");
        Assert.DoesNotContain(events, e => e.Kind == "repair" && e.Detail != "restart_service");
        Assert.Equal(0, health.GetProperty("repairs").GetInt32()); // healthy again: the count starts over

        var after = await ContainerAsync(id);
        Assert.Equal(before.ID, after.ID);
        Assert.Equal(before.State!.StartedAt, after.State!.StartedAt); // the same container, never restarted
        await DeleteAsync(owner, id);
    }

    [Fact]
    public async Task AnSshdThatNoLongerAnswers_IsSeenUnhealthy_AndItsContainerIsRestarted_AfterWhichSshWorksAgain()
    {
        var (owner, id, password) = await RunningAsync();
        await WaitForHealthAsync(owner.Client, id, h => h.GetProperty("overall").GetString() == "healthy");
        var port = (await AccessRowAsync(_platform, id)).SshPort!.Value;
        var before = await ContainerAsync(id);

        // sshd frozen: the kernel still accepts connections on the port, and nobody greets them.
        await ExecAsRootAsync(before.ID, "pkill", "-STOP", "-x", "sshd");

        var health = await WaitForRepairAsync(owner.Client, id, "restart_container");
        Assert.Contains(Events(health), e => e.Kind == "change" && e.Check == "ssh" && e.To == "unhealthy");
        var after = await ContainerAsync(id);
        Assert.Equal(before.ID, after.ID);
        Assert.NotEqual(before.State!.StartedAt, after.State!.StartedAt);
        Assert.True(CanLogIn(port, "remotegpu", password));
        await DeleteAsync(owner, id);
    }

    [Fact]
    public async Task AContainerStoppedBehindThePlatformsBack_IsStarted_AndAVanishedOne_IsRecreatedOnItsVolume()
    {
        var (owner, id, password) = await RunningAsync();
        await WaitForHealthAsync(owner.Client, id, h => h.GetProperty("overall").GetString() == "healthy");
        var port = (await AccessRowAsync(_platform, id)).SshPort!.Value;
        using (var ssh = Ssh(port, "remotegpu", password))
        {
            ssh.ConnectRetryingTransport();
            Run(ssh, "echo kept > /workspace/kept.txt");
        }

        // Stopped with `docker stop`: the row still wants it running.
        var first = await ContainerAsync(id);
        await _docker.Containers.StopContainerAsync(first.ID, new ContainerStopParameters { WaitBeforeKillSeconds = 5 });
        await WaitForRepairAsync(owner.Client, id, "restart_container");
        Assert.Equal(first.ID, (await ContainerAsync(id)).ID);

        // Removed with `docker rm -f`: created again, on the volume that has the user's file.
        await _docker.Containers.RemoveContainerAsync(first.ID, new ContainerRemoveParameters { Force = true });
        await WaitForRepairAsync(owner.Client, id, "recreate_container");
        var second = await ContainerAsync(id);
        Assert.NotEqual(first.ID, second.ID);
        using (var ssh = Ssh(port, "remotegpu", password))
        {
            ssh.ConnectRetryingTransport();
            Assert.Equal("kept", Run(ssh, "cat /workspace/kept.txt"));
        }
        await using (var db = _platform.CreateDbContext())
        {
            var repairs = await db.AuditEvents.AsNoTracking().Where(a => a.TargetId == id && a.Action == "environment.repair").Select(a => a.Details!).ToListAsync();
            Assert.Contains(repairs, d => Detail(d, "action") == "restart_container");
            Assert.Contains(repairs, d => Detail(d, "action") == "recreate_container");
        }
        await DeleteAsync(owner, id);
    }

    [Fact]
    public async Task WhenRepairsDoNotHelp_TheEnvironmentFailsWithTheReason_AndIsNotRepairedInALoop()
    {
        var (owner, id, _) = await RunningAsync();
        await WaitForHealthAsync(owner.Client, id, h => h.GetProperty("overall").GetString() == "healthy");
        var container = await ContainerAsync(id);

        // Jupyter can no longer start in this container (its files stay broken across a restart of the container).
        // (The package's directory, not a module: Python would load a module's compiled copy without reading its source.)
        await ExecAsRootAsync(container.ID, "chmod", "000", "/usr/lib/python3/dist-packages/jupyter_server");
        await ExecAsRootAsync(container.ID, "pkill", "-f", "[j]upyter_server");

        var failed = await WaitForStatusAsync(owner.Client, id, "failed", HealTimeout);
        var reason = failed.GetProperty("status_reason").GetString()!;
        Assert.Contains("jupyter", reason, StringComparison.Ordinal);
        Assert.Contains("3 repairs", reason, StringComparison.Ordinal);

        using var response = await owner.Client.GetAsync($"/api/environments/{id}/health");
        var repairs = Events(await ApiClient.ReadAsync(response)).Where(e => e.Kind == "repair").Select(e => e.Detail).Reverse().ToList();
        Assert.Equal(["restart_service", "restart_service", "restart_container"], repairs);
        await using (var db = _platform.CreateDbContext())
        {
            Assert.True(await db.AuditEvents.AnyAsync(a => a.TargetId == id && a.Action == "environment.repair" && !a.Success));
        }
        await DeleteAsync(owner, id);
    }

    [Fact]
    public async Task TheStreamsLostWithRedisData_AreCreatedAgain_AndBothConsumersGoOn()
    {
        // What a flush or a restart without persistence does to the workers' streams: their keys, consumer groups
        // included, are gone. (A whole FLUSHALL would also take the Data Protection key ring: see docs/security.md.)
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(_platform.RedisConnectionString))
        {
            var db = redis.GetDatabase();
            Assert.True(await db.KeyExistsAsync("remotegpu:health"));
            await db.KeyDeleteAsync(["remotegpu:provision", "remotegpu:health", "remotegpu:provision:attempts", "remotegpu:health:attempts"]);
        }

        var (owner, id, _) = await RunningAsync();
        await WaitForHealthAsync(owner.Client, id, h => h.GetProperty("overall").GetString() == "healthy");
        var logs = string.Join('\n', await _platform.App.LogAsync("worker"));
        Assert.Contains("remotegpu:provision or its consumer group is gone", logs, StringComparison.Ordinal);
        Assert.Contains("remotegpu:health or its consumer group is gone", logs, StringComparison.Ordinal);
        await DeleteAsync(owner, id);
    }

    [Fact]
    public async Task AWorkerKilledMidCheck_IsStartedAgain_ItsPendingChecksAreTakenOver_AndNothingIsLostOrDoubled()
    {
        var (owner, id, _) = await RunningAsync();
        await WaitForHealthAsync(owner.Client, id, h => h.GetProperty("overall").GetString() == "healthy");
        var container = await ContainerAsync(id);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(_platform.RedisConnectionString);
        var streams = redis.GetDatabase();

        // The moment a consumer holds a check it has not acknowledged, kill the worker: SIGKILL, mid-check.
        string[] holding = [];
        await Poll.UntilAsync(async () =>
        {
            holding = [.. (await streams.StreamPendingAsync("remotegpu:health", "workers")).Consumers.Where(c => c.PendingMessageCount > 0).Select(c => c.Name.ToString())];
            return holding.Length > 0;
        }, HealTimeout, "a health check in progress");
        using (var worker = Process.GetProcessById(_platform.App.Snapshot("worker").ProcessId()))
        {
            worker.Kill(entireProcessTree: true);
            await worker.WaitForExitAsync();
        }
        using (var restart = new CancellationTokenSource(HealTimeout))
        {
            await _platform.App.ResourceNotifications.WaitForResourceAsync(
                "worker", e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), restart.Token);
            var started = await _platform.App.ResourceCommands.ExecuteCommandAsync("worker", KnownResourceCommands.StartCommand, restart.Token);
            Assert.True(started.Success, started.Message);
            await _platform.App.ResourceNotifications.WaitForResourceHealthyAsync("worker", WaitBehavior.WaitOnResourceUnavailable, restart.Token);
        }
        var restartedAt = DateTimeOffset.UtcNow;

        // Checks go on; what the dead consumer held is claimed and acknowledged by the new one.
        await WaitForHealthAsync(owner.Client, id, h =>
            h.GetProperty("overall").GetString() == "healthy" && h.GetProperty("checked_at").GetDateTimeOffset() > restartedAt);
        await Poll.UntilAsync(async () =>
            (await streams.StreamPendingAsync("remotegpu:health", "workers")).Consumers
                .Where(c => holding.Contains(c.Name.ToString())).All(c => c.PendingMessageCount == 0),
            HealTimeout, "the dead consumer's checks taken over");
        var after = await ContainerAsync(id);
        Assert.Equal(container.ID, after.ID); // neither lost nor recreated, and only one (ContainerAsync asserts it)
        Assert.Equal(container.State!.StartedAt, after.State!.StartedAt);
        await DeleteAsync(owner, id);
    }

    private async Task<(TestUser Owner, string Id, string Password)> RunningAsync()
    {
        var owner = await _platform.CreateUserAsync();
        // Never stopped for being idle while its health is being tested.
        var created = await CreateAsync(owner.Client, idleTimeoutMinutes: 0);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;
        await WaitForStatusAsync(owner.Client, id, "running");
        return (owner, id, created.GetProperty("access_info").GetProperty("ssh").GetProperty("password").GetString()!);
    }

    private static async Task DeleteAsync(TestUser owner, string id)
    {
        using var deleted = await owner.Client.DeleteAsync($"/api/environments/{id}");
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        await WaitForDeletedAsync(owner.Client, id);
    }

    private static async Task<JsonElement> WaitForHealthAsync(ApiClient client, string id, Func<JsonElement, bool> done)
    {
        JsonElement last = default;
        await Poll.UntilAsync(async () =>
        {
            using var response = await client.GetAsync($"/api/environments/{id}/health");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            last = await ApiClient.ReadAsync(response);
            return done(last);
        }, HealTimeout, $"health of {id}", () => last.ToString());
        return last;
    }

    /// <summary>The repair was made, the environment runs again, and every check says healthy.</summary>
    private static Task<JsonElement> WaitForRepairAsync(ApiClient client, string id, string action) =>
        WaitForHealthAsync(client, id, h =>
            h.GetProperty("overall").GetString() == "healthy"
            && Events(h).Any(e => e.Kind == "repair" && e.Detail == action)
            && Events(h).First(e => e.Kind == "repair").Detail == action);

    /// <summary>A field of an audit event's details (jsonb: Postgres spaces it its own way).</summary>
    private static string? Detail(string? details, string name)
    {
        if (details is null)
        {
            return null;
        }
        using var document = JsonDocument.Parse(details);
        return document.RootElement.TryGetProperty(name, out var value) ? value.GetString() : null;
    }

    private sealed record HealthEvent(string Kind, string Check, string? To, string? Detail);

    private static List<HealthEvent> Events(JsonElement health) =>
        [.. health.GetProperty("history").EnumerateArray().Select(h => new HealthEvent(
            h.GetProperty("kind").GetString()!, h.GetProperty("check").GetString()!,
            h.GetProperty("to").GetString(), h.GetProperty("detail").GetString()))];

    private Task<ContainerInspectResponse> ContainerAsync(string id) => ContainerOfAsync(_docker, id);

    private Task ExecAsRootAsync(string containerId, params string[] command) => ExecInContainerAsync(_docker, containerId, "root", command);
}
