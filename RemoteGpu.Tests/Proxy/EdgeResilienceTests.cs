using System.Net;
using Aspire.Hosting.ApplicationModel;
using Npgsql;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Identity;
using RemoteGpu.Tests.Infrastructure;
using static RemoteGpu.Tests.Environments.EnvironmentDriver;

namespace RemoteGpu.Tests.Proxy;

/// <summary>
/// The edge decides without Postgres (DESIGN.md §7): routes, owners, grants, users and tokens are held in
/// memory and kept current by NOTIFY. So Postgres stopped and started again (Aspire's stop and start commands, as
/// from the dashboard) does not interrupt signed-in users of running environments, and every revocation still
/// reaches the edge within a second.
/// </summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class EdgeResilienceTests(PlatformFixture platform) : IAsyncLifetime
{
    private static readonly TimeSpan RouteDelay = TimeSpan.FromSeconds(1);
    private readonly EdgeDriver _edge = new(platform);

    public Task InitializeAsync() => EnsureTestImageListedAsync(platform);

    public Task DisposeAsync()
    {
        _edge.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task PostgresRestarted_SignedInUsersKeepUsingRunningEnvironments_AndNewRoutesAppearAfterwards()
    {
        var owner = await platform.CreateUserAsync();
        var bearer = await EdgeDriver.CreateTokenAsync(owner.Client);
        var cookie = SessionCookie(owner.Client);
        var created = await CreateAsync(owner.Client);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;
        await WaitForStatusAsync(owner.Client, id, "running");
        await _edge.WaitForAsync(id, "/jupyter/api/status", bearer, s => s == HttpStatusCode.OK, TimeSpan.FromMinutes(1));
        using (var withCookie = await _edge.GetAsync(id, "/jupyter/api/status", cookie: cookie))
        {
            Assert.Equal(HttpStatusCode.OK, withCookie.StatusCode);
        }
        var proxyPid = platform.App.Snapshot("proxy").ProcessId();

        using var outage = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stopped = await platform.App.ResourceCommands.ExecuteCommandAsync("postgres", KnownResourceCommands.StopCommand, outage.Token);
        Assert.True(stopped.Success, stopped.Message);
        await Poll.UntilAsync(PostgresDownAsync, TimeSpan.FromSeconds(20), "Postgres down");

        // While Postgres is gone, both credentials keep working: every request here was sent after a failed
        // connection attempt.
        for (var pair = 0; pair < 5; pair++)
        {
            Assert.True(await PostgresDownAsync(), "Postgres came back by itself.");
            using var viaToken = await _edge.GetAsync(id, "/jupyter/api/status", bearer);
            using var viaCookie = await _edge.GetAsync(id, "/jupyter/api/status", cookie: cookie);
            Assert.Equal(HttpStatusCode.OK, viaToken.StatusCode);
            Assert.Equal(HttpStatusCode.OK, viaCookie.StatusCode);
            Assert.Contains("\"kernels\"", await viaCookie.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Postgres is back and the edge, not restarted, follows it again.
        var started = await platform.App.ResourceCommands.ExecuteCommandAsync("postgres", KnownResourceCommands.StartCommand, outage.Token);
        Assert.True(started.Success, started.Message);
        await platform.App.ResourceNotifications.WaitForResourceHealthyAsync(
            "postgres", WaitBehavior.WaitOnResourceUnavailable, outage.Token);
        await Poll.UntilAsync(async () => !await PostgresDownAsync(), TimeSpan.FromMinutes(1), "Postgres accepting connections");
        // This process's own pooled connections died with the server.
        NpgsqlConnection.ClearAllPools();
        var added = await platform.CreateEnvironmentRowAsync(owner.Id, EnvironmentStatus.Running);
        await _edge.WaitForAsync(added, "/jupyter/api/status", bearer, s => s == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20),
            body => body.Contains("no address", StringComparison.Ordinal));
        Assert.Equal(proxyPid, platform.App.Snapshot("proxy").ProcessId());

        // Once it listens again, changes are as fast as ever.
        var next = await platform.CreateEnvironmentRowAsync(owner.Id, EnvironmentStatus.Running);
        var appeared = await _edge.WaitForAsync(next, "/jupyter/api/status", bearer, s => s != HttpStatusCode.NotFound, RouteDelay * 5);
        Assert.True(appeared.SentAt < RouteDelay, $"After the restart a new route took {appeared.SentAt}.");

        using var deleted = await owner.Client.DeleteAsync($"/api/environments/{id}");
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        await WaitForDeletedAsync(owner.Client, id);
    }

    [Fact]
    public async Task GrantsRevocationsDisabledUsersAndDeletedTokens_ReachTheEdgeWithinASecond()
    {
        var owner = await platform.CreateUserAsync();
        var guest = await platform.CreateUserAsync();
        var guestBearer = await EdgeDriver.CreateTokenAsync(guest.Client);
        // A row without an upstream: an authorised caller gets 503 "no address", anyone else 401/403.
        var id = await platform.CreateEnvironmentRowAsync(owner.Id, EnvironmentStatus.Running);
        static bool Authorised(HttpStatusCode status) => status == HttpStatusCode.ServiceUnavailable;

        await _edge.WaitForAsync(id, "/jupyter/api/status", guestBearer, s => s == HttpStatusCode.Forbidden, RouteDelay * 5);

        using var granted = await owner.Client.PostAsync($"/api/environments/{id}/grants",
            new { user_name = guest.UserName, expires_at = DateTimeOffset.UtcNow.AddHours(1) });
        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        var grantId = (await ApiClient.ReadAsync(granted)).GetProperty("id").GetString();
        await AssertWithinAsync(id, Authorised, "the grant", bearer: guestBearer);

        using (var revoked = await owner.Client.DeleteAsync($"/api/environments/{id}/grants/{grantId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }
        await AssertWithinAsync(id, s => s == HttpStatusCode.Forbidden, "the revocation", bearer: guestBearer);

        // The owner's own token, then deleted.
        using var tokenCreated = await owner.Client.PostAsync("/api/me/tokens", new { name = "edge-revoke" });
        var tokenBody = await ApiClient.ReadAsync(tokenCreated);
        var ownerBearer = tokenBody.GetProperty("token").GetString()!;
        await AssertWithinAsync(id, Authorised, "the new token", bearer: ownerBearer);
        using (var deleted = await owner.Client.DeleteAsync($"/api/me/tokens/{tokenBody.GetProperty("id").GetString()}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        await AssertWithinAsync(id, s => s == HttpStatusCode.Unauthorized, "the deleted token", bearer: ownerBearer);

        // A disabled user: their cookie and tokens stop at the edge; enabled again, they work again.
        var ownerCookie = SessionCookie(owner.Client);
        var ownerBearer2 = await EdgeDriver.CreateTokenAsync(owner.Client);
        await AssertWithinAsync(id, Authorised, "a second token", bearer: ownerBearer2);
        using (var viaCookie = await _edge.GetAsync(id, "/jupyter/api/status", cookie: ownerCookie))
        {
            Assert.True(Authorised(viaCookie.StatusCode), $"cookie before disabling: {(int)viaCookie.StatusCode}");
        }
        using var admin = await platform.AdminAsync();
        using (var disabled = await admin.PostAsync($"/api/users/{owner.Id}/disable"))
        {
            Assert.True(disabled.IsSuccessStatusCode, $"disable: {(int)disabled.StatusCode}");
        }
        await AssertWithinAsync(id, s => s == HttpStatusCode.Unauthorized, "disabling the user", bearer: ownerBearer2);
        await AssertWithinAsync(id, s => s == HttpStatusCode.Unauthorized, "disabling the user (cookie)", cookie: ownerCookie);
    }

    /// <summary>The request that first saw the change was sent within <see cref="RouteDelay"/> of the first attempt.</summary>
    private async Task AssertWithinAsync(string id, Func<HttpStatusCode, bool> done, string what, string? bearer = null, string? cookie = null)
    {
        var seen = await _edge.WaitForAsync(id, "/jupyter/api/status", bearer, done, RouteDelay * 5, cookie: cookie, accept: "application/json");
        Assert.True(seen.SentAt < RouteDelay, $"{what} reached the edge after {seen.SentAt}.");
    }

    private string SessionCookie(ApiClient client) =>
        $"{PlatformAuthentication.CookieName}={client.Cookies.GetCookies(platform.ApiAddress)[PlatformAuthentication.CookieName]!.Value}";

    private async Task<bool> PostgresDownAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(platform.DbConnectionString) { Pooling = false, Timeout = 1 };
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
            return false;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return true;
        }
    }
}
