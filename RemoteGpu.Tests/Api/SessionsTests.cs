using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RemoteGpu.Core.Identity;
using RemoteGpu.Tests.Infrastructure;
using RemoteGpu.Tests.Proxy;

namespace RemoteGpu.Tests.Api;

/// <summary>
/// Server-side sessions (issue 21, finding 5): logout ends the session on the server, so neither its platform
/// cookie nor the environment cookies handed off from it work when replayed; users list their live sessions
/// and end any of their own. API tokens are no sessions and carry on.
/// </summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class SessionsTests(PlatformFixture platform) : IAsyncLifetime
{
    /// <summary>How long the edge may take to hear that a session ended (it is told within milliseconds).</summary>
    private static readonly TimeSpan EdgeHears = TimeSpan.FromSeconds(5);

    private readonly EdgeDriver _edge = new(platform);
    private EchoUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await EchoUpstream.StartAsync();

    public async Task DisposeAsync()
    {
        _edge.Dispose();
        await _upstream.DisposeAsync();
    }

    /// <summary>Finding 5: logout only deleted the cookie in the browser; a copy of it, and of the environment cookie, still worked.</summary>
    [Fact]
    public async Task Finding5_AfterLogout_TheOldCookieIs401_OnTheApiAndAtTheEdge()
    {
        var owner = await platform.CreateUserAsync();
        var bearer = await EdgeDriver.CreateTokenAsync(owner.Client);
        var id = await _upstream.CreateEnvironmentAsync(platform, _edge, owner, bearer);
        using var browser = new HandOffClient(platform);
        await browser.SignInAsync(owner.UserName, owner.Password);
        var environmentCookie = "remotegpu_env=" + await browser.HandOffAsync(id);
        var platformCookie = browser.PlatformCookieHeader()!;

        // What an attacker kept: both cookies, replayed from a jar of their own. They work before the logout.
        using var replay = new HandOffClient(platform);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(replay, replay.Platform("/api/me"), platformCookie));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(replay, replay.Environment(id, "/jupyter/api/status"), environmentCookie));

        using (var logout = await browser.PostAsync(browser.Platform("/api/auth/logout")))
        {
            Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        }

        // The Api reads the session on every request: refused at once.
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(replay, replay.Platform("/api/me"), platformCookie));
        using (var api = await replay.GetAsync(new Uri($"{platform.ApiAddress.GetLeftPart(UriPartial.Authority)}/api/me"), "application/json", platformCookie))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        }

        // The edge hears of it from Postgres, and then answers as it does anybody without a session.
        await Poll.UntilAsync(
            async () => await StatusAsync(replay, replay.Environment(id, "/jupyter/api/status"), environmentCookie) == HttpStatusCode.Unauthorized,
            EdgeHears, "refusal of the environment cookie at the edge");
        using var stranger = new HandOffClient(platform);
        foreach (var cookie in new[] { environmentCookie, platformCookie })
        {
            using var anonymous = await stranger.GetAsync(stranger.Environment(id, "/jupyter/"));
            using var replayed = await replay.GetAsync(replay.Environment(id, "/jupyter/"), HandOffClient.BrowserAccept, cookie);
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
            Assert.Equal(anonymous.StatusCode, replayed.StatusCode);
            Assert.Equal(anonymous.Headers.Location, replayed.Headers.Location);
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(replay, replay.Environment(id, "/jupyter/api/status"), cookie));
        }

        // An API token is no session: logout leaves it alone, on the Api and at the edge.
        using var token = platform.CreateApiClient(bearer);
        Assert.Equal(HttpStatusCode.OK, (await token.GetAsync("/api/me")).StatusCode);
        using (var edge = await _edge.GetAsync(id, "/jupyter/api/status", bearer))
        {
            Assert.Equal(HttpStatusCode.OK, edge.StatusCode);
        }

        await using var db = platform.CreateDbContext();
        var session = await db.UserSessions.AsNoTracking().SingleAsync(s => s.UserId == owner.Id && s.EndedAt != null);
        Assert.Equal(SessionEndReasons.Logout, session.EndedReason);
        var audit = await db.AuditEvents.AsNoTracking().SingleAsync(a => a.Action == "auth.logout" && a.ActorId == owner.Id);
        Assert.True(audit.Success);
        Assert.Equal(("session", UserSession.ShortId(session.Id)), (audit.TargetType, audit.TargetId));
    }

    [Fact]
    public async Task AUserListsTheirSessions_AndEndsTheOther_WhoseCookiesStopWorking_WhileTheCurrentOneGoesOn()
    {
        var user = await platform.CreateUserAsync();
        var bearer = await EdgeDriver.CreateTokenAsync(user.Client);
        var id = await _upstream.CreateEnvironmentAsync(platform, _edge, user, bearer);
        using var laptop = new HandOffClient(platform);
        await laptop.SignInAsync(user.UserName, user.Password);
        var laptopEnvironment = "remotegpu_env=" + await laptop.HandOffAsync(id);
        var laptopPlatform = laptop.PlatformCookieHeader()!;

        var sessions = await ListAsync(user.Client);
        Assert.Equal(2, sessions.Count);
        var current = Assert.Single(sessions, s => s.GetProperty("current").GetBoolean());
        var other = Assert.Single(sessions, s => !s.GetProperty("current").GetBoolean());
        Assert.Equal(user.Client.Address, current.GetProperty("address").GetString());
        Assert.Equal("RemoteGpu.Tests/1.0", current.GetProperty("user_agent").GetString());
        Assert.Equal("RemoteGpu.Tests.HandOff/1.0", other.GetProperty("user_agent").GetString());
        foreach (var session in sessions)
        {
            Assert.Equal("pwd", session.GetProperty("method").GetString());
            Assert.True(session.GetProperty("created_at").GetDateTimeOffset() <= session.GetProperty("last_seen_at").GetDateTimeOffset());
        }
        var otherId = other.GetProperty("id").GetGuid();

        using (var ended = await user.Client.DeleteAsync($"/api/me/sessions/{otherId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, ended.StatusCode);
        }

        // The other session's cookies: refused on the Api at once, at the edge as soon as it hears.
        using var replay = new HandOffClient(platform);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(replay, replay.Platform("/api/me"), laptopPlatform));
        await Poll.UntilAsync(
            async () => await StatusAsync(replay, replay.Environment(id, "/jupyter/api/status"), laptopEnvironment) == HttpStatusCode.Unauthorized,
            EdgeHears, "refusal of the ended session's environment cookie at the edge");

        // This one goes on, and is the only one listed; the ended one cannot be ended twice.
        Assert.Equal(HttpStatusCode.OK, (await user.Client.GetAsync("/api/me")).StatusCode);
        Assert.Equal(current.GetProperty("id").GetGuid(), Assert.Single(await ListAsync(user.Client)).GetProperty("id").GetGuid());
        using (var again = await user.Client.DeleteAsync($"/api/me/sessions/{otherId}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }

        await using var db = platform.CreateDbContext();
        Assert.Equal(SessionEndReasons.Revoked, (await db.UserSessions.AsNoTracking().SingleAsync(s => s.Id == otherId)).EndedReason);
        var audit = await db.AuditEvents.AsNoTracking().SingleAsync(a => a.Action == "auth.session_end" && a.ActorId == user.Id);
        Assert.Equal(("session", UserSession.ShortId(otherId)), (audit.TargetType, audit.TargetId));
        Assert.DoesNotContain(otherId.ToString(), audit.Details ?? string.Empty, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AnotherUsersSession_IsNotFound_AsAnUnknownOneIs_AndStaysLive()
    {
        var alice = await platform.CreateUserAsync();
        var bob = await platform.CreateUserAsync();
        var bobsSession = Assert.Single(await ListAsync(bob.Client)).GetProperty("id").GetGuid();

        using var someoneElses = await alice.Client.DeleteAsync($"/api/me/sessions/{bobsSession}");
        using var unknown = await alice.Client.DeleteAsync($"/api/me/sessions/{Guid.NewGuid()}");
        using var malformed = await alice.Client.DeleteAsync("/api/me/sessions/not-a-session-id");

        foreach (var response in new[] { someoneElses, unknown, malformed })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        var a = await ApiClient.ReadAsync(someoneElses);
        var b = await ApiClient.ReadAsync(unknown);
        Assert.Equal(a.GetProperty("title").GetString(), b.GetProperty("title").GetString());
        Assert.Equal(a.GetProperty("detail").GetString(), b.GetProperty("detail").GetString());

        Assert.Equal(HttpStatusCode.OK, (await bob.Client.GetAsync("/api/me")).StatusCode);
        Assert.Equal(bobsSession, Assert.Single(await ListAsync(bob.Client)).GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task EndingTheCurrentSession_IsALogout()
    {
        var user = await platform.CreateUserAsync();
        var current = Assert.Single(await ListAsync(user.Client)).GetProperty("id").GetGuid();
        var cookie = user.Client.Cookies.GetCookies(platform.ApiAddress)["remotegpu_session"]!.Value;

        using (var ended = await user.Client.DeleteAsync($"/api/me/sessions/{current}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, ended.StatusCode);
            Assert.Contains(ended.Headers.GetValues("Set-Cookie"), c => c.StartsWith("remotegpu_session=;", StringComparison.Ordinal));
        }

        using var replay = new HandOffClient(platform);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(replay, replay.Platform("/api/me"), "remotegpu_session=" + cookie));
        await using var db = platform.CreateDbContext();
        Assert.Equal(SessionEndReasons.Logout, (await db.UserSessions.AsNoTracking().SingleAsync(s => s.Id == current)).EndedReason);
    }

    [Fact]
    public async Task DisablingAUser_OrChangingThePassword_MarksTheSessionsItEndedAsEnded()
    {
        var user = await platform.CreateUserAsync();
        using var second = platform.CreateApiClient();
        Assert.Equal(HttpStatusCode.OK, (await second.LoginAsync(user.UserName, user.Password)).StatusCode);
        var current = Assert.Single(await ListAsync(user.Client), s => s.GetProperty("current").GetBoolean()).GetProperty("id").GetGuid();

        // A password change ends every other session; this one carries on, and is the only one listed.
        using (var changed = await user.Client.PostAsync("/api/me/password", new { current_password = user.Password, new_password = "Brand-new-pass-2" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        }
        Assert.Equal(current, Assert.Single(await ListAsync(user.Client)).GetProperty("id").GetGuid());
        await using (var db = platform.CreateDbContext())
        {
            var other = await db.UserSessions.AsNoTracking().SingleAsync(s => s.UserId == user.Id && s.Id != current);
            Assert.Equal(SessionEndReasons.PasswordChanged, other.EndedReason);
        }

        using var admin = await platform.AdminAsync();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/users/{user.Id}/disable")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await user.Client.GetAsync("/api/me")).StatusCode);
        await using (var db = platform.CreateDbContext())
        {
            var row = await db.UserSessions.AsNoTracking().SingleAsync(s => s.Id == current);
            Assert.Equal(SessionEndReasons.UserDisabled, row.EndedReason);
            Assert.False(await db.UserSessions.AnyAsync(s => s.UserId == user.Id && s.EndedAt == null));
        }
    }

    [Fact]
    public async Task LastSeen_IsRecordedOncePerInterval_NotOnEveryRequest()
    {
        // The platform's Api records at most every five minutes: a burst of requests writes nothing.
        var user = await platform.CreateUserAsync();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await user.Client.GetAsync("/api/me")).StatusCode);
        }
        await using (var db = platform.CreateDbContext())
        {
            var session = await db.UserSessions.AsNoTracking().SingleAsync(s => s.UserId == user.Id);
            Assert.Equal(session.CreatedAt, session.LastSeenAt);
        }

        // An Api that records every second: the session's last-seen time moves on while it is used.
        await using var api = await platform.StartExtraApiAsync(("Security__SessionTouchInterval", "00:00:01"));
        using var client = new ApiClient(api.Address);
        Assert.Equal(HttpStatusCode.OK, (await client.LoginAsync(user.UserName, user.Password)).StatusCode);
        var sessionId = Assert.Single(await ListAsync(client), s => s.GetProperty("current").GetBoolean()).GetProperty("id").GetGuid();
        await Poll.UntilAsync(async () =>
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/me")).StatusCode);
            await using var db = platform.CreateDbContext();
            var session = await db.UserSessions.AsNoTracking().SingleAsync(s => s.Id == sessionId);
            return session.LastSeenAt > session.CreatedAt;
        }, TimeSpan.FromSeconds(10), "last-seen time recorded");
    }

    private static async Task<HttpStatusCode> StatusAsync(HandOffClient client, Uri url, string cookie)
    {
        using var response = await client.GetAsync(url, "application/json", cookie);
        return response.StatusCode;
    }

    private static async Task<List<JsonElement>> ListAsync(ApiClient client)
    {
        using var response = await client.GetAsync("/api/me/sessions");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await ApiClient.ReadAsync(response)).EnumerateArray()];
    }
}
