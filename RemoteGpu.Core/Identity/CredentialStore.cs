using Microsoft.EntityFrameworkCore;
using RemoteGpu.Core.Data;

namespace RemoteGpu.Core.Identity;

/// <summary>What authentication needs to know of a user on every request.</summary>
public sealed record UserCredentialState(Guid Id, string UserName, string Role, Guid SecurityStamp, bool IsDisabled)
{
    /// <summary>A session or token issued under <paramref name="stamp"/> is still good for this user.</summary>
    public bool Accepts(Guid stamp) => !IsDisabled && SecurityStamp == stamp;
}

/// <summary>What authentication needs to know of a personal API token, found by its hash.</summary>
public sealed record ApiTokenState(Guid Id, Guid UserId, string TokenHash, Guid SecurityStamp, DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt);

/// <summary>
/// Where cookie and token authentication read users, tokens and sessions. The Api reads Postgres on every
/// request (<see cref="DatabaseCredentialStore"/>), so its own writes — a disabled user, a changed
/// password, a deleted token, an ended session — hold on the very next request; the edge keeps a cache that Postgres
/// invalidates through NOTIFY, so it authenticates without a query and through a database outage.
/// </summary>
public interface ICredentialStore
{
    public ValueTask<UserCredentialState?> FindUserAsync(Guid userId, CancellationToken cancellationToken);

    public ValueTask<ApiTokenState?> FindTokenAsync(string tokenHash, CancellationToken cancellationToken);

    /// <summary>Records that the token was used at <paramref name="now"/> (informational).</summary>
    public ValueTask TouchTokenAsync(ApiTokenState token, DateTimeOffset now, CancellationToken cancellationToken);

    public ValueTask<SessionState?> FindSessionAsync(Guid sessionId, CancellationToken cancellationToken);

    /// <summary>Records that the session was seen at <paramref name="now"/> (informational; callers do it once per touch interval).</summary>
    public ValueTask TouchSessionAsync(SessionState session, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>Users, tokens and sessions straight from Postgres.</summary>
public sealed class DatabaseCredentialStore(RemoteGpuDbContext db) : ICredentialStore
{
    public async ValueTask<UserCredentialState?> FindUserAsync(Guid userId, CancellationToken cancellationToken) =>
        (await FindUsersAsync([userId], cancellationToken)).SingleOrDefault();

    public async ValueTask<ApiTokenState?> FindTokenAsync(string tokenHash, CancellationToken cancellationToken) =>
        (await FindTokensAsync([tokenHash], cancellationToken)).SingleOrDefault();

    public async ValueTask TouchTokenAsync(ApiTokenState token, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        await db.ApiTokens.Where(t => t.Id == token.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), cancellationToken);
    }

    public async ValueTask<SessionState?> FindSessionAsync(Guid sessionId, CancellationToken cancellationToken) =>
        (await FindSessionsAsync([sessionId], cancellationToken)).SingleOrDefault();

    public async ValueTask TouchSessionAsync(SessionState session, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        // Never backwards: of two requests racing to touch, the later time stays.
        await db.UserSessions.Where(s => s.Id == session.Id && s.LastSeenAt < now)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.LastSeenAt, now), cancellationToken);
    }

    public Task<List<UserCredentialState>> FindUsersAsync(IReadOnlyCollection<Guid> userIds, CancellationToken cancellationToken) =>
        db.Users.AsNoTracking()
            .Where(u => userIds.Contains(u.Id))
            .Select(u => new UserCredentialState(u.Id, u.UserName, u.Role, u.SecurityStamp, u.IsDisabled))
            .ToListAsync(cancellationToken);

    public Task<List<ApiTokenState>> FindTokensAsync(IReadOnlyCollection<string> tokenHashes, CancellationToken cancellationToken) =>
        db.ApiTokens.AsNoTracking()
            .Where(t => tokenHashes.Contains(t.TokenHash))
            .Select(t => new ApiTokenState(t.Id, t.UserId, t.TokenHash, t.SecurityStamp, t.ExpiresAt, t.LastUsedAt))
            .ToListAsync(cancellationToken);

    public Task<List<SessionState>> FindSessionsAsync(IReadOnlyCollection<Guid> sessionIds, CancellationToken cancellationToken) =>
        db.UserSessions.AsNoTracking()
            .Where(s => sessionIds.Contains(s.Id))
            .Select(s => new SessionState(s.Id, s.UserId, s.LastSeenAt, s.EndedAt))
            .ToListAsync(cancellationToken);
}
