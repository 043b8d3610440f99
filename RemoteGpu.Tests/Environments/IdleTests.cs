using System.Net;
using System.Text;
using System.Text.Json;
using Docker.DotNet;
using Microsoft.EntityFrameworkCore;
using RemoteGpu.Tests.Infrastructure;
using RemoteGpu.Tests.Proxy;
using static RemoteGpu.Tests.Environments.EnvironmentDriver;

namespace RemoteGpu.Tests.Environments;

/// <summary>
/// Idle auto-stop that never kills a job (DESIGN.md §10): an environment working only through its CPU, only through an
/// SSH session typing nothing, or only through a busy kernel printing nothing is kept; a truly idle one is warned, then
/// stopped with its reason, its volume kept. A keep-alive lease holds one, within the policy's cap, for whoever may use it.
/// The platform's idle timeout is 20 s (<see cref="WorkerPolicyPlatform"/>).
/// </summary>
[Collection(WorkerPolicyCollection.Name)]
[Trait("Category", "E2E")]
public sealed class IdleTests(WorkerPolicyPlatform fixture) : IDisposable
{
    private static readonly TimeSpan Timeout = WorkerPolicyPlatform.IdleTimeout;
    private readonly PlatformFixture _platform = fixture.Platform;
    private readonly DockerClient _docker = new DockerClientBuilder().Build();
    private readonly EdgeDriver _edge = new(fixture.Platform);

    public void Dispose()
    {
        _docker.Dispose();
        _edge.Dispose();
    }

    [Fact]
    public async Task OnlyTheTrulyIdleOne_IsWarnedThenStopped_WhileCpuAnSshSessionOrABusyKernel_EachKeepsOneRunning()
    {
        var owner = await _platform.CreateUserAsync();
        var bearer = await EdgeDriver.CreateTokenAsync(owner.Client);
        // The busy ones are held by a lease while their work is set up (a timeout of 20 s is shorter than that on
        // a 2-core machine), then the lease is ended and only their work is left to keep them.
        var created = await Task.WhenAll(CreatedAsync(owner), CreatedAsync(owner, leased: true), CreatedAsync(owner, leased: true), CreatedAsync(owner, leased: true));
        var (idle, cpu, ssh, kernel) = (created[0], created[1], created[2], created[3]);
        foreach (var environment in created)
        {
            await WaitForStatusAsync(owner.Client, environment.Id, "running");
        }

        // A job burning CPU, started and left (no session, no request).
        await ExecInContainerAsync(_docker, (await ContainerOfAsync(_docker, cpu.Id)).ID, "remotegpu",
            "sh", "-c", "nohup sh -c 'while :; do :; done' >/dev/null 2>&1 &");
        // A shell open and silent.
        using var session = Ssh(ssh.SshPort, "remotegpu", ssh.Password);
        session.ConnectRetryingTransport();
        using var shell = session.CreateShellStream("xterm", 80, 24, 800, 600, 1024);
        // A kernel sleeping in a cell: busy, printing nothing, its browser gone.
        await _edge.WaitForAsync(kernel.Id, "/jupyter/api/status", bearer, s => s == HttpStatusCode.OK, TimeSpan.FromMinutes(1));
        using (var started = await _edge.SendAsync(HttpMethod.Post, kernel.Id, "/jupyter/api/kernels", bearer, content: new StringContent("{}", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Created, started.StatusCode);
            var kernelId = (await ApiClient.ReadAsync(started)).GetProperty("id").GetString();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            using var socket = await _edge.ConnectWebSocketAsync(kernel.Id, $"/jupyter/api/kernels/{kernelId}/channels", bearer, timeout.Token);
            var request = await EdgeDriver.StartInKernelAsync(socket, "import time\ntime.sleep(3600)", timeout.Token);
            // The browser leaves once the kernel has taken the cell (closing sooner may lose the request).
            while (true)
            {
                var message = await EdgeDriver.ReceiveJsonAsync(socket, timeout.Token);
                if (message.GetProperty("msg_type").GetString() == "execute_input"
                    && message.GetProperty("parent_header").TryGetProperty("msg_id", out var parent) && parent.GetString() == request)
                {
                    break;
                }
            }
        }
        // The leases end now.
        var since = DateTimeOffset.UtcNow.AddSeconds(2);
        foreach (var environment in new[] { cpu, ssh, kernel })
        {
            using var ended = await owner.Client.PostAsync($"/api/environments/{environment.Id}/keep-alive", new { until = since });
            Assert.Equal(HttpStatusCode.OK, ended.StatusCode);
        }

        // The idle one: warned, then stopped, with the reason on it and in the audit log.
        var stopped = await WaitForStatusAsync(owner.Client, idle.Id, "stopped", TimeSpan.FromMinutes(2));
        Assert.StartsWith("Stopped for being idle: stopped: idle since", stopped.GetProperty("status_reason").GetString(), StringComparison.Ordinal);
        await using (var db = _platform.CreateDbContext())
        {
            var events = await db.AuditEvents.AsNoTracking().Where(a => a.TargetId == idle.Id && a.Action.StartsWith("environment.idle_"))
                .OrderBy(a => a.OccurredAt).Select(a => new { a.Action, a.OccurredAt }).ToListAsync();
            Assert.Equal(["environment.idle_warning", "environment.idle_stop"], events.Select(e => e.Action));
            Assert.True(events[1].OccurredAt - events[0].OccurredAt >= TimeSpan.FromSeconds(5), "The warning came too late to act on.");
        }
        using (var activity = await owner.Client.GetAsync($"/api/environments/{idle.Id}/activity"))
        {
            var body = await ApiClient.ReadAsync(activity);
            Assert.Equal("stopped", body.GetProperty("state").GetString());
            Assert.NotEqual(JsonValueKind.Null, body.GetProperty("warned_at").ValueKind);
        }
        // Its volume stays: it starts again.
        using (var restart = await owner.Client.PostAsync($"/api/environments/{idle.Id}/start"))
        {
            Assert.Equal(HttpStatusCode.Accepted, restart.StatusCode);
        }
        await WaitForStatusAsync(owner.Client, idle.Id, "running");

        // Each busy one outlives two timeouts since its last request, kept by its own source.
        foreach (var (environment, source) in new[] { (cpu, "cpu"), (ssh, "ssh"), (kernel, "jupyter_kernel") })
        {
            var verdict = await KeptPastAsync(owner.Client, environment.Id, since + (Timeout * 2));
            Assert.StartsWith($"kept by: {source}", verdict, StringComparison.Ordinal);
        }
        Assert.True(shell.CanRead);

        foreach (var environment in new[] { idle, cpu, ssh, kernel })
        {
            using var deleted = await owner.Client.DeleteAsync($"/api/environments/{environment.Id}");
        }
    }

    [Fact]
    public async Task AKeepAliveLease_HoldsAnIdleEnvironmentUntilItEnds_IsCapped_AndOnlyForThoseWhoMayUseIt()
    {
        var owner = await _platform.CreateUserAsync();
        var guest = await _platform.CreateUserAsync();
        var stranger = await _platform.CreateUserAsync();
        var environment = await RunningAsync(owner);
        var id = environment.Id;
        using (var granted = await owner.Client.PostAsync($"/api/environments/{id}/grants", new { user_name = guest.UserName, expires_at = DateTimeOffset.UtcNow.AddHours(1) }))
        {
            Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        }

        // Bad leases: each refused with the field named, and nothing changes.
        foreach (var until in new[] { DateTimeOffset.UtcNow.AddHours(2), DateTimeOffset.UtcNow.AddMinutes(-1) })
        {
            using var refused = await guest.Client.PostAsync($"/api/environments/{id}/keep-alive", new { until });
            await AssertFieldRefusedAsync(refused, "until");
        }
        using (var empty = await guest.Client.PostAsync($"/api/environments/{id}/keep-alive", new { }))
        {
            await AssertFieldRefusedAsync(empty, "until");
        }
        using (var hidden = await stranger.Client.PostAsync($"/api/environments/{id}/keep-alive", new { until = DateTimeOffset.UtcNow.AddMinutes(5) }))
        {
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        }
        using (var hiddenActivity = await stranger.Client.GetAsync($"/api/environments/{id}/activity"))
        {
            Assert.Equal(HttpStatusCode.NotFound, hiddenActivity.StatusCode);
        }
        // The timeout is the owner's to change, within the policy.
        using (var notOwner = await guest.Client.PatchAsync($"/api/environments/{id}", new { idle_timeout_minutes = 0 }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, notOwner.StatusCode);
        }
        foreach (var minutes in new[] { -1, 24 * 60 + 1 })
        {
            using var refused = await owner.Client.PatchAsync($"/api/environments/{id}", new { idle_timeout_minutes = minutes });
            await AssertFieldRefusedAsync(refused, "idle_timeout_minutes");
        }

        // The grantee's lease, for their overnight job.
        var lease = DateTimeOffset.UtcNow.AddSeconds(30);
        using (var kept = await guest.Client.PostAsync($"/api/environments/{id}/keep-alive", new { until = lease }))
        {
            Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        }
        await Poll.UntilAsync(async () => await StateAsync(owner.Client, id) == "kept_alive", TimeSpan.FromSeconds(30), "the lease in the verdict");

        await WaitForStatusAsync(owner.Client, id, "stopped", TimeSpan.FromMinutes(2));
        await using (var db = _platform.CreateDbContext())
        {
            var stop = await db.AuditEvents.AsNoTracking().SingleAsync(a => a.TargetId == id && a.Action == "environment.idle_stop");
            Assert.True(stop.OccurredAt >= lease + Timeout, $"Stopped at {stop.OccurredAt:O}, before the lease's end plus the timeout ({lease + Timeout:O}).");
            Assert.True(await db.AuditEvents.AnyAsync(a => a.TargetId == id && a.Action == "environment.keep_alive" && a.ActorId == guest.Id));
        }
        using var deleted = await owner.Client.DeleteAsync($"/api/environments/{id}");
    }

    [Fact]
    public async Task AnIdleTimeoutOfZero_IsRefusedWhereThePolicyForbidsIt_ElseKeepsItRunning()
    {
        var owner = await _platform.CreateUserAsync();
        using (var refused = await owner.Client.PostAsync("/api/environments",
            new { name = "too-long", image = TestImage, gpu_count = 0, cpu_cores = 1, memory_mb = 512, idle_timeout_minutes = 100_000 }))
        {
            await AssertFieldRefusedAsync(refused, "idle_timeout_minutes");
        }
        var created = await CreateAsync(owner.Client, idleTimeoutMinutes: 0);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;
        Assert.Equal(0, created.GetProperty("environment").GetProperty("idle_timeout_minutes").GetInt32());
        await WaitForStatusAsync(owner.Client, id, "running");
        var verdict = await KeptPastAsync(owner.Client, id, DateTimeOffset.UtcNow + (Timeout * 2));
        Assert.StartsWith("never stopped for being idle", verdict, StringComparison.Ordinal);
        using var deleted = await owner.Client.DeleteAsync($"/api/environments/{id}");
    }

    private sealed record Running(string Id, int SshPort, string Password);

    private async Task<Running> RunningAsync(TestUser owner)
    {
        var environment = await CreatedAsync(owner);
        await WaitForStatusAsync(owner.Client, environment.Id, "running");
        return environment;
    }

    /// <summary>Created, not yet running; <paramref name="leased"/>: held by a 5-minute keep-alive lease from the start.</summary>
    private static async Task<Running> CreatedAsync(TestUser owner, bool leased = false)
    {
        var created = await CreateAsync(owner.Client);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;
        if (leased)
        {
            using var lease = await owner.Client.PostAsync($"/api/environments/{id}/keep-alive", new { until = DateTimeOffset.UtcNow.AddMinutes(5) });
            Assert.Equal(HttpStatusCode.OK, lease.StatusCode);
        }
        var ssh = created.GetProperty("access_info").GetProperty("ssh");
        return new Running(id, ssh.GetProperty("port").GetInt32(), ssh.GetProperty("password").GetString()!);
    }

    /// <summary>Waits until the worker has judged the environment after <paramref name="deadline"/>; it must still run then.</summary>
    private static async Task<string> KeptPastAsync(ApiClient client, string id, DateTimeOffset deadline)
    {
        JsonElement last = default;
        await Poll.UntilAsync(async () =>
        {
            using var response = await client.GetAsync($"/api/environments/{id}/activity");
            last = await ApiClient.ReadAsync(response);
            Assert.True(last.GetProperty("state").GetString() is not ("stopped" or "not_running"), $"{id} no longer runs: {last}");
            return last.GetProperty("checked_at").ValueKind == JsonValueKind.String && last.GetProperty("checked_at").GetDateTimeOffset() > deadline;
        }, TimeSpan.FromMinutes(2), $"a verdict on {id} after {deadline:O}", () => last.ToString());
        using var environment = await client.GetAsync($"/api/environments/{id}");
        Assert.Equal("running", (await ApiClient.ReadAsync(environment)).GetProperty("status").GetString());
        return last.GetProperty("verdict").GetString()!;
    }

    private static async Task<string?> StateAsync(ApiClient client, string id)
    {
        using var response = await client.GetAsync($"/api/environments/{id}/activity");
        return (await ApiClient.ReadAsync(response)).GetProperty("state").GetString();
    }

    private static async Task AssertFieldRefusedAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await ApiClient.ReadAsync(response);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }
}
