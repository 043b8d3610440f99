using System.Net;
using Microsoft.EntityFrameworkCore;
using RemoteGpu.Core.Credentials;
using RemoteGpu.Core.Identity;
using RemoteGpu.Tests.Infrastructure;
using StackExchange.Redis;

namespace RemoteGpu.Tests.Proxy;

/// <summary>
/// The hand-off of a session from the platform host to an environment host, over HTTP without a browser
/// (the browser itself: <see cref="BrowserSessionTests"/>): a one-time ticket minted by the Api for a
/// signed-in user who may use the environment, redeemed once by the edge within a minute for a
/// host-only cookie that is good on that environment alone and never reaches the workspace.
/// </summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class EnvironmentSessionTests(PlatformFixture platform) : IAsyncLifetime
{
    private readonly EdgeDriver _edge = new(platform);
    private EchoUpstream _upstream = null!;
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync()
    {
        _upstream = await EchoUpstream.StartAsync();
        _redis = await ConnectionMultiplexer.ConnectAsync(platform.RedisConnectionString);
    }

    public async Task DisposeAsync()
    {
        _edge.Dispose();
        await _upstream.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task AnAnonymousBrowser_IsHandedOffThroughThePlatformHost_AndComesBackWithAHostOnlyCookieForThatEnvironment()
    {
        var (owner, id) = await OwnerWithEnvironmentAsync();
        using var browser = new HandOffClient(platform);
        const string path = "/jupyter/api/status?x=1";
        var handOff = $"/api/auth/environment-session?environment={id}&return_url={Uri.EscapeDataString(path)}";

        // Anonymous on the environment host: to the platform host's hand-off, with the way back.
        using (var first = await browser.GetAsync(browser.Environment(id, path)))
        {
            Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
            Assert.Equal(browser.Platform(handOff).AbsoluteUri, first.Headers.Location?.AbsoluteUri);
        }

        // Not signed in there: to the sign-in page, which is to send the browser back to the hand-off.
        using (var second = await browser.GetAsync(browser.Platform(handOff)))
        {
            Assert.Equal(HttpStatusCode.Redirect, second.StatusCode);
            Assert.Equal("/login?return_url=" + Uri.EscapeDataString(handOff), second.Headers.Location?.OriginalString);
        }

        // Signed in: a ticket for this environment, in Redis for a minute at most, under a hash of it.
        await browser.SignInAsync(owner.UserName, owner.Password);
        Uri redeem;
        using (var third = await browser.GetAsync(browser.Platform(handOff)))
        {
            Assert.Equal(HttpStatusCode.Redirect, third.StatusCode);
            Assert.Equal("no-store", third.Headers.CacheControl?.ToString());
            redeem = third.Headers.Location!;
        }
        Assert.Equal(browser.Environment(id, "/.remotegpu/session").GetLeftPart(UriPartial.Path), redeem.GetLeftPart(UriPartial.Path));
        Assert.Equal(path, HandOffClient.ReturnUrl(redeem));
        var ticket = HandOffClient.Ticket(redeem);
        Assert.Equal(43, ticket.Length);
        var key = EnvironmentTicket.Key(ticket);
        var ttl = await _redis.GetDatabase().KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.False(await _redis.GetDatabase().KeyExistsAsync("remotegpu:environment-ticket:" + ticket));

        // The edge redeems it: a host-only, HttpOnly, Lax cookie, and back to the path.
        using (var fourth = await browser.GetAsync(redeem))
        {
            Assert.Equal(HttpStatusCode.Redirect, fourth.StatusCode);
            Assert.Equal(path, fourth.Headers.Location?.OriginalString);
            var cookie = Assert.Single(fourth.Headers.GetValues("Set-Cookie"), c => c.StartsWith("remotegpu_env=", StringComparison.Ordinal));
            Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("domain=", cookie, StringComparison.OrdinalIgnoreCase);
        }
        Assert.False(await _redis.GetDatabase().KeyExistsAsync(key));
        Assert.NotNull(browser.EnvironmentCookie(id));

        // The path now answers from the workspace, which is sent the browser's own cookies but not ours.
        browser.Cookies.Add(new Cookie("theme", "dark", "/", $"{id}.localhost"));
        using (var fifth = await browser.GetAsync(browser.Environment(id, path)))
        {
            Assert.Equal(HttpStatusCode.OK, fifth.StatusCode);
            Assert.Contains(_upstream.Marker, await fifth.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var forwarded = _upstream.CookieHeaders.Last();
        Assert.Contains("theme=dark", forwarded, StringComparison.Ordinal);
        Assert.DoesNotContain("remotegpu_env", forwarded, StringComparison.Ordinal);
        Assert.DoesNotContain("remotegpu_session", forwarded, StringComparison.Ordinal);

        // A ticket is good once.
        using (var again = await browser.GetAsync(redeem))
        {
            Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
            var page = await again.Content.ReadAsStringAsync();
            Assert.Contains("already used", page, StringComparison.Ordinal);
            Assert.Contains($"href=\"{WebUtility.HtmlEncode(path)}\"", page, StringComparison.Ordinal);
            Assert.False(again.Headers.Contains("Set-Cookie"));
        }

        await using var db = platform.CreateDbContext();
        var audit = await db.AuditEvents.AsNoTracking()
            .Where(a => a.Action == "auth.environment_session" && a.TargetId == id)
            .ToListAsync();
        var row = Assert.Single(audit);
        Assert.True(row.Success);
        Assert.Equal(owner.Id, row.ActorId);
        Assert.Equal("environment", row.TargetType);
        Assert.DoesNotContain(ticket, row.Details ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATicket_IsRefusedOnAnotherEnvironmentsHost_AndIsSpentThere()
    {
        var (owner, a) = await OwnerWithEnvironmentAsync();
        var b = await _upstream.CreateEnvironmentAsync(platform, _edge, owner, await EdgeDriver.CreateTokenAsync(owner.Client));
        using var browser = new HandOffClient(platform);
        await browser.SignInAsync(owner.UserName, owner.Password);
        var redeem = await browser.RequestTicketAsync(a);

        // The same path and ticket on b's host: refused, even though the owner may use b too.
        var onB = new Uri(browser.Environment(b, "/.remotegpu/session").GetLeftPart(UriPartial.Path) + redeem.Query);
        using (var wrongHost = await browser.GetAsync(onB))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrongHost.StatusCode);
            Assert.False(wrongHost.Headers.Contains("Set-Cookie"));
        }
        Assert.Null(browser.EnvironmentCookie(b));

        // Shown to the wrong host, it is spent.
        using (var onA = await browser.GetAsync(redeem))
        {
            Assert.Equal(HttpStatusCode.BadRequest, onA.StatusCode);
        }
        using var stillAnonymous = await browser.GetAsync(browser.Environment(b, "/jupyter/api/status"), accept: "application/json");
        Assert.Equal(HttpStatusCode.Unauthorized, stillAnonymous.StatusCode);
    }

    [Fact]
    public async Task ACookieForOneEnvironment_DoesNotOpenAnother_OfTheSameOwner()
    {
        var (owner, a) = await OwnerWithEnvironmentAsync();
        var b = await _upstream.CreateEnvironmentAsync(platform, _edge, owner, await EdgeDriver.CreateTokenAsync(owner.Client));
        using var browser = new HandOffClient(platform);
        await browser.SignInAsync(owner.UserName, owner.Password);
        var cookieForA = "remotegpu_env=" + await browser.HandOffAsync(a);

        // Replayed by hand on a's host it works (no cookie jar: only this header)...
        using var stranger = new HandOffClient(platform);
        using (var onA = await stranger.GetAsync(stranger.Environment(a, "/jupyter/api/status"), "application/json", cookieForA))
        {
            Assert.Equal(HttpStatusCode.OK, onA.StatusCode);
        }

        // ...and on b's host it is nobody: 401 for an API client, the hand-off for a browser.
        using (var onB = await stranger.GetAsync(stranger.Environment(b, "/jupyter/api/status"), "application/json", cookieForA))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, onB.StatusCode);
        }
        using (var browserOnB = await stranger.GetAsync(stranger.Environment(b, "/jupyter/"), HandOffClient.BrowserAccept, cookieForA))
        {
            Assert.Equal(HttpStatusCode.Redirect, browserOnB.StatusCode);
            Assert.StartsWith(stranger.Platform("/api/auth/environment-session?environment=" + b).AbsoluteUri,
                browserOnB.Headers.Location?.AbsoluteUri, StringComparison.Ordinal);
        }

        // Nor is it a platform session.
        using var onPlatform = await stranger.GetAsync(stranger.Platform("/api/me"), "application/json", cookieForA);
        Assert.Equal(HttpStatusCode.Unauthorized, onPlatform.StatusCode);
    }

    [Fact]
    public async Task ATicket_LivesAMinuteAtMost_AndAnExpiredOneIsRefused()
    {
        var (owner, id) = await OwnerWithEnvironmentAsync();
        using var browser = new HandOffClient(platform);
        await browser.SignInAsync(owner.UserName, owner.Password);
        var redeem = await browser.RequestTicketAsync(id);
        var key = EnvironmentTicket.Key(HandOffClient.Ticket(redeem));
        var redisDb = _redis.GetDatabase();

        var ttl = await redisDb.KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));

        // Let Redis expire it now rather than in a minute.
        Assert.True(await redisDb.KeyExpireAsync(key, TimeSpan.FromMilliseconds(1)));
        await Poll.UntilAsync(async () => !await redisDb.KeyExistsAsync(key), TimeSpan.FromSeconds(5), "expiry of the ticket");

        using var expired = await browser.GetAsync(redeem);
        Assert.Equal(HttpStatusCode.BadRequest, expired.StatusCode);
        Assert.Null(browser.EnvironmentCookie(id));
    }

    [Fact]
    public async Task TheHandOff_AsksForSignIn_TurnsAwayStrangers_AndUnknownOrMalformedEnvironments()
    {
        var (_, id) = await OwnerWithEnvironmentAsync();
        var stranger = await platform.CreateUserAsync();
        using var browser = new HandOffClient(platform);
        var handOff = $"/api/auth/environment-session?environment={id}&return_url=%2Fjupyter%2F";

        using (var anonymous = await browser.GetAsync(browser.Platform(handOff)))
        {
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
            Assert.Equal("/login?return_url=" + Uri.EscapeDataString(handOff), anonymous.Headers.Location?.OriginalString);
        }

        // A stranger to the environment is told it is not there, as for one that does not exist (issue 21, finding 8).
        await browser.SignInAsync(stranger.UserName, stranger.Password);
        using (var page = await browser.GetAsync(browser.Platform(handOff)))
        {
            Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        }
        using (var problem = await browser.GetAsync(browser.Platform(handOff), accept: "application/json"))
        {
            Assert.Equal(HttpStatusCode.NotFound, problem.StatusCode);
            Assert.Equal("application/problem+json", problem.Content.Headers.ContentType?.MediaType);
        }
        using (var unknown = await browser.GetAsync(browser.Platform(
            $"/api/auth/environment-session?environment={CredentialGenerator.NewEnvironmentId()}"), accept: "application/json"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }
        using (var malformed = await browser.GetAsync(browser.Platform("/api/auth/environment-session?environment=..%2Fetc"), accept: "application/json"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
            var errors = (await ApiClient.ReadAsync(malformed)).GetProperty("errors");
            Assert.True(errors.TryGetProperty("environment", out _), errors.ToString());
        }

        await using var db = platform.CreateDbContext();
        var refused = await db.AuditEvents.AsNoTracking()
            .Where(a => a.Action == "auth.environment_session" && a.TargetId == id)
            .ToListAsync();
        Assert.NotEmpty(refused);
        Assert.All(refused, row => Assert.False(row.Success));
        Assert.All(refused, row => Assert.Equal(stranger.Id, row.ActorId));
    }

    [Theory]
    [InlineData("//evil.example/x")]
    [InlineData("/\\evil.example")]
    [InlineData("https://evil.example/")]
    [InlineData("http://localhost.evil.example/")]
    [InlineData("/\t/evil.example")]
    [InlineData("javascript:alert(1)")]
    [InlineData("jupyter/")]
    public async Task UnsafeReturnUrls_AreIgnored_ByTheHandOffAndByTheEdge(string unsafeUrl)
    {
        var (owner, id) = await OwnerWithEnvironmentAsync();
        using var browser = new HandOffClient(platform);
        await browser.SignInAsync(owner.UserName, owner.Password);

        var redeem = await browser.RequestTicketAsync(id, unsafeUrl);
        Assert.Equal("/jupyter/", HandOffClient.ReturnUrl(redeem));

        using var redeemed = await browser.GetAsync(HandOffClient.WithReturnUrl(redeem, unsafeUrl));
        Assert.Equal(HttpStatusCode.Redirect, redeemed.StatusCode);
        Assert.Equal("/jupyter/", redeemed.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task DisablingTheUser_EndsTheirEnvironmentSession()
    {
        var (owner, id) = await OwnerWithEnvironmentAsync();
        using var browser = new HandOffClient(platform);
        await browser.SignInAsync(owner.UserName, owner.Password);
        await browser.HandOffAsync(id);
        using (var before = await browser.GetAsync(browser.Environment(id, "/jupyter/api/status"), accept: "application/json"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        using var admin = await platform.AdminAsync();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/users/{owner.Id}/disable")).StatusCode);

        await Poll.UntilAsync(async () =>
        {
            using var after = await browser.GetAsync(browser.Environment(id, "/jupyter/api/status"), accept: "application/json");
            return after.StatusCode == HttpStatusCode.Unauthorized;
        }, TimeSpan.FromSeconds(5), "the environment session to end");
        Assert.Null(browser.EnvironmentCookie(id));
    }

    private async Task<(TestUser Owner, string EnvironmentId)> OwnerWithEnvironmentAsync()
    {
        var owner = await platform.CreateUserAsync();
        var id = await _upstream.CreateEnvironmentAsync(platform, _edge, owner, await EdgeDriver.CreateTokenAsync(owner.Client));
        return (owner, id);
    }
}
