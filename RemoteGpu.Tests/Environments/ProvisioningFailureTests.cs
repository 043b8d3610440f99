using System.Net;
using Microsoft.EntityFrameworkCore;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Provisioning;
using RemoteGpu.Tests.Infrastructure;
using StackExchange.Redis;
using static RemoteGpu.Tests.Environments.EnvironmentDriver;

namespace RemoteGpu.Tests.Environments;

[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class ProvisioningFailureTests(PlatformFixture platform) : IAsyncLifetime
{
    public Task InitializeAsync() => EnsureTestImageListedAsync(platform);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task AMessageThatKeepsFailing_IsDeadLettered_AndTheEnvironmentFailsWithAReason()
    {
        var owner = await platform.CreateUserAsync();
        var id = await platform.CreateEnvironmentRowAsync(owner.Id, EnvironmentStatus.Pending);
        await using (var db = platform.CreateDbContext())
        {
            // A protected token no key can read: every attempt to build the container fails.
            db.AccessInfos.Add(new AccessInfo
            {
                EnvironmentId = id, SshHost = "h", SshPort = 39999, SshUsername = "remotegpu",
                SshPasswordHash = "$2b$12$abcdefghijklmnopqrstuuJ0123456789abcdefghijklmnopqrstu",
                JupyterTokenProtected = "not-a-protected-payload",
                CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }
        // A second worker that gives up quickly; the fixture's own worker shares the attempt count.
        await using var impatient = await platform.StartExtraWorkerAsync(
            ("Provisioning__ClaimIdleTime", "00:00:01"), ("Provisioning__MaxAttempts", "2"), ("Provisioning__ReconcileInterval", "01:00:00"));
        using var redis = await ConnectionMultiplexer.ConnectAsync(platform.RedisConnectionString);
        await redis.GetDatabase().StreamAddAsync(ProvisioningStreams.Provision, ProvisioningStreams.EnvironmentIdField, id);
        await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(ProvisioningStreams.WakeChannel), id);

        var failed = await WaitForStatusAsync(owner.Client, id, "failed");

        Assert.StartsWith("Provisioning failed", failed.GetProperty("status_reason").GetString(), StringComparison.Ordinal);
        var dead = await redis.GetDatabase().StreamRangeAsync(ProvisioningStreams.Provision + ProvisioningStreams.DeadLetterSuffix);
        Assert.Contains(dead, e => e[ProvisioningStreams.EnvironmentIdField] == id);
        // Deleting a failed environment still works (DESIGN.md §4).
        Assert.Equal(HttpStatusCode.Accepted, (await owner.Client.DeleteAsync($"/api/environments/{id}")).StatusCode);
    }

    [Fact]
    public async Task AnImageOnTheListButNotOnTheHost_FailsWithAReadableReason()
    {
        using var admin = await platform.AdminAsync();
        var missing = "remotegpu/not-built-" + Guid.NewGuid().ToString("N")[..6] + ":latest";
        Assert.True((await admin.PostAsync("/api/images", new { name = missing, display_name = "missing" })).IsSuccessStatusCode);
        var user = await platform.CreateUserAsync();

        using var response = await user.Client.PostAsync("/api/environments", new { name = "ghost", image = missing, gpu_count = 0, cpu_cores = 1, memory_mb = 512 });
        var id = (await ApiClient.ReadAsync(response)).GetProperty("environment").GetProperty("id").GetString()!;
        var failed = await WaitForStatusAsync(user.Client, id, "failed");

        Assert.Contains(missing, failed.GetProperty("status_reason").GetString(), StringComparison.Ordinal);
        await using var db = platform.CreateDbContext();
        Assert.Equal(1, await db.PortAllocations.CountAsync(a => a.EnvironmentId == id));
        Assert.Equal(HttpStatusCode.Accepted, (await user.Client.DeleteAsync($"/api/environments/{id}")).StatusCode);
        await WaitForDeletedAsync(user.Client, id);
        Assert.Equal(0, await db.PortAllocations.CountAsync(a => a.EnvironmentId == id));
    }

    [Fact]
    public async Task Finding7_AGranteeUses_ButCannotStopStartDeleteResetOrReveal()
    {
        var owner = await platform.CreateUserAsync();
        var grantee = await platform.CreateUserAsync();
        var created = await CreateAsync(owner.Client);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.Created, (await owner.Client.PostAsync($"/api/environments/{id}/grants",
            new { user_name = grantee.UserName, expires_at = DateTimeOffset.UtcNow.AddDays(1) })).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await grantee.Client.GetAsync($"/api/environments/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await grantee.Client.GetAsync($"/api/environments/{id}/access")).StatusCode);
        Assert.Single((await ApiClient.ReadAsync(await grantee.Client.GetAsync("/api/environments"))).EnumerateArray());
        Assert.Equal(HttpStatusCode.Forbidden, (await grantee.Client.DeleteAsync($"/api/environments/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await grantee.Client.PostAsync($"/api/environments/{id}/credentials/reset")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await grantee.Client.PostAsync($"/api/environments/{id}/credentials/reveal")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await grantee.Client.PostAsync($"/api/environments/{id}/stop")).StatusCode);
        Assert.Equal("running", (await ApiClient.ReadAsync(await owner.Client.GetAsync($"/api/environments/{id}"))).GetProperty("desired_state").GetString());
        Assert.Equal(HttpStatusCode.Accepted, (await owner.Client.PostAsync($"/api/environments/{id}/stop")).StatusCode);
        await WaitForStatusAsync(owner.Client, id, "stopped");
        Assert.Equal(HttpStatusCode.Forbidden, (await grantee.Client.PostAsync($"/api/environments/{id}/start")).StatusCode);
        Assert.Equal("stopped", (await ApiClient.ReadAsync(await owner.Client.GetAsync($"/api/environments/{id}"))).GetProperty("desired_state").GetString());

        Assert.Equal(HttpStatusCode.Accepted, (await owner.Client.DeleteAsync($"/api/environments/{id}")).StatusCode);
        await WaitForDeletedAsync(owner.Client, id);
    }

}
