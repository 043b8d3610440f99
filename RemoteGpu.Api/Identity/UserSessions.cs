using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Identity;

namespace RemoteGpu.Api.Identity;

/// <summary>
/// The server-side sessions behind platform cookies (<see cref="UserSession"/>): one started at each sign-in,
/// ended by logout, by its user from the list of their sessions, or all of a user's at once when they are
/// disabled or change their password. Ending is one UPDATE, done at once; starting adds the row for the
/// caller's own <c>SaveChangesAsync</c>.
/// </summary>
internal sealed class UserSessions(RemoteGpuDbContext db, IOptions<SecurityOptions> security, TimeProvider time)
{
    /// <summary>A new session of <paramref name="userId"/>, from this request's address and user agent; saved with the caller's next SaveChanges.</summary>
    public Guid Start(Guid userId, string method, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(context);
        var now = time.GetUtcNow();
        var session = new UserSession
        {
            Id = Guid.NewGuid(),
            UserId = userId,
            CreatedAt = now,
            LastSeenAt = now,
            Method = Truncate(method, UserSession.MethodLength)!,
            Address = Truncate(context.Connection.RemoteIpAddress?.ToString(), UserSession.AddressLength),
            UserAgent = Truncate(context.Request.Headers.UserAgent.ToString(), UserSession.UserAgentLength),
        };
        db.UserSessions.Add(session);
        return session.Id;
    }

    /// <summary>
    /// <paramref name="userId"/>'s live sessions, most recently seen first: not ended, and not so long unseen
    /// that every cookie of theirs has expired.
    /// </summary>
    public Task<List<UserSession>> ListLiveAsync(Guid userId, CancellationToken cancellationToken)
    {
        var options = security.Value;
        var oldest = SessionState.OldestLive(time.GetUtcNow(), options.SessionLifetime, options.SessionTouchInterval);
        return db.UserSessions.AsNoTracking()
            .Where(s => s.UserId == userId && s.EndedAt == null && s.LastSeenAt >= oldest)
            .OrderByDescending(s => s.LastSeenAt).ThenByDescending(s => s.CreatedAt)
            .ToListAsync(cancellationToken);
    }

    /// <summary>Ends one of <paramref name="userId"/>'s sessions; false when it is not theirs, unknown or already ended.</summary>
    public async Task<bool> EndAsync(Guid userId, Guid sessionId, string reason, CancellationToken cancellationToken) =>
        await EndWhereAsync(db.UserSessions.Where(s => s.Id == sessionId && s.UserId == userId), reason, cancellationToken) == 1;

    /// <summary>Ends every live session of <paramref name="userId"/> but <paramref name="except"/>; how many it ended.</summary>
    public Task<int> EndAllAsync(Guid userId, string reason, CancellationToken cancellationToken, Guid? except = null)
    {
        var sessions = db.UserSessions.Where(s => s.UserId == userId);
        if (except is { } kept)
        {
            sessions = sessions.Where(s => s.Id != kept);
        }
        return EndWhereAsync(sessions, reason, cancellationToken);
    }

    private Task<int> EndWhereAsync(IQueryable<UserSession> sessions, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return sessions.Where(s => s.EndedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now).SetProperty(x => x.EndedReason, reason), cancellationToken);
    }

    private static string? Truncate(string? value, int length) =>
        string.IsNullOrEmpty(value) ? null : value.Length <= length ? value : value[..length];
}
