using System.Security.Claims;
using RemoteGpu.Core.Identity;

namespace RemoteGpu.Tests.Core;

/// <summary>
/// The rules a cookie's server-side session is held to (issue 21, finding 5): which session a principal names,
/// when it is still good, when a request records itself as its last seen, and when no cookie of it can be left.
/// </summary>
public sealed class UserSessionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid UserId = Guid.NewGuid();

    [Fact]
    public void ALiveSession_AcceptsItsOwnUserOnly()
    {
        var session = new SessionState(Guid.NewGuid(), UserId, Now, EndedAt: null);

        Assert.True(session.Accepts(UserId));
        Assert.False(session.Accepts(Guid.NewGuid()));
        Assert.False((session with { EndedAt = Now }).Accepts(UserId));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(299, false)]
    [InlineData(300, true)]
    [InlineData(3600, true)]
    public void ARequest_RecordsItselfAsLastSeen_OncePerInterval(int secondsSinceLastSeen, bool due)
    {
        var session = new SessionState(Guid.NewGuid(), UserId, Now - TimeSpan.FromSeconds(secondsSinceLastSeen), EndedAt: null);

        Assert.Equal(due, session.IsDueForTouch(Now, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void ASession_IsPast_OnlyOnceEveryCookieOfItMustHaveExpired()
    {
        var lifetime = TimeSpan.FromHours(12);
        var interval = TimeSpan.FromMinutes(5);
        var oldest = SessionState.OldestLive(Now, lifetime, interval);

        Assert.Equal(Now - lifetime - interval, oldest);
        Assert.False(new SessionState(Guid.NewGuid(), UserId, oldest, null).IsPast(Now, lifetime, interval));
        Assert.True(new SessionState(Guid.NewGuid(), UserId, oldest - TimeSpan.FromSeconds(1), null).IsPast(Now, lifetime, interval));
    }

    [Fact]
    public void ThePlatformCookie_AndTheEnvironmentCookieHandedOffFromIt_NameTheSameSession()
    {
        var sessionId = Guid.NewGuid();
        var user = new UserCredentialState(UserId, "alice", Roles.User, Guid.NewGuid(), IsDisabled: false);
        var platform = PlatformClaims.Create(user, "Cookies", "pwd", enrolmentRequired: false, sessionId);
        var ticket = new EnvironmentTicket(UserId, "alice", Roles.User, user.SecurityStamp, "env-0123abcd", "pwd", sessionId);

        Assert.Equal(sessionId, platform.Session());
        Assert.Equal(sessionId, ticket.ToPrincipal().Session());
        Assert.Null(ApiTokenAuthenticationHandler.CreatePrincipal(user).Session());
    }

    [Fact]
    public async Task OnlyALiveSessionOfTheCookiesOwnUser_IsFound()
    {
        var live = new SessionState(Guid.NewGuid(), UserId, Now, null);
        var ended = new SessionState(Guid.NewGuid(), UserId, Now, Now);
        var someoneElses = new SessionState(Guid.NewGuid(), Guid.NewGuid(), Now, null);
        var store = new FakeSessionStore(live, ended, someoneElses);

        Assert.Equal(live, await PlatformAuthentication.FindLiveSessionAsync(store, Principal(live.Id), CancellationToken.None));
        Assert.Null(await PlatformAuthentication.FindLiveSessionAsync(store, Principal(ended.Id), CancellationToken.None));
        Assert.Null(await PlatformAuthentication.FindLiveSessionAsync(store, Principal(someoneElses.Id), CancellationToken.None));
        Assert.Null(await PlatformAuthentication.FindLiveSessionAsync(store, Principal(Guid.NewGuid()), CancellationToken.None));
        // A cookie from before sessions were recorded names none: refused, not waved through.
        Assert.Null(await PlatformAuthentication.FindLiveSessionAsync(store, Principal(null), CancellationToken.None));
    }

    [Fact]
    public void ShortIds_TellSessionsApart_WithoutShowingTheWholeId()
    {
        var id = Guid.NewGuid();

        var shortId = UserSession.ShortId(id);

        Assert.Equal(8, shortId.Length);
        Assert.StartsWith(shortId, id.ToString("N"), StringComparison.Ordinal);
    }

    private static ClaimsPrincipal Principal(Guid? sessionId) =>
        PlatformClaims.Create(new UserCredentialState(UserId, "alice", Roles.User, Guid.NewGuid(), false), "Cookies", "pwd", false, sessionId);

    /// <summary>Sessions from a list; users and tokens are not asked for here.</summary>
    private sealed class FakeSessionStore(params SessionState[] sessions) : ICredentialStore
    {
        public ValueTask<SessionState?> FindSessionAsync(Guid sessionId, CancellationToken cancellationToken) =>
            ValueTask.FromResult(sessions.SingleOrDefault(s => s.Id == sessionId));

        public ValueTask TouchSessionAsync(SessionState session, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<UserCredentialState?> FindUserAsync(Guid userId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<ApiTokenState?> FindTokenAsync(string tokenHash, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask TouchTokenAsync(ApiTokenState token, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
