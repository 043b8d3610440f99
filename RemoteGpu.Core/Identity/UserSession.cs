namespace RemoteGpu.Core.Identity;

/// <summary>
/// One sign-in's server-side session: the platform cookie carries its id (<see cref="PlatformClaims.SessionId"/>),
/// and so does every environment cookie handed off from it. Cookies are checked against it on every request,
/// so ending it (<see cref="EndedAt"/>: logout, the user ending it from the list, a disable or password change)
/// ends them all, in the Api at once and at the edge as soon as Postgres notifies it.
/// </summary>
public sealed class UserSession
{
    public const int MethodLength = 32;
    public const int AddressLength = 64;

    /// <summary>Enough to tell browsers apart; the rest of a long user agent is dropped.</summary>
    public const int UserAgentLength = 256;

    /// <summary>Random (version 4): says nothing of when or for whom it was made. Never logged in full.</summary>
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The last request seen with it, to within <see cref="SecurityOptions.SessionTouchInterval"/>.</summary>
    public DateTimeOffset LastSeenAt { get; set; }

    /// <summary>How the user signed in, as the <see cref="PlatformClaims.AuthenticationMethod"/> claim says: <c>pwd</c>, <c>pwd+otp</c>, <c>pwd+recovery</c>.</summary>
    public required string Method { get; set; }

    public string? Address { get; set; }
    public string? UserAgent { get; set; }
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>Why it ended: one of <see cref="SessionEndReasons"/>.</summary>
    public string? EndedReason { get; set; }

    /// <summary>What logs and the audit trail show of a session id: enough to tell sessions apart, never the whole.</summary>
    public static string ShortId(Guid id) => id.ToString("N")[..8];
}

/// <summary>Why a session ended.</summary>
public static class SessionEndReasons
{
    public const string Logout = "logout";

    /// <summary>Its user ended it from the list of their sessions (possibly from another one).</summary>
    public const string Revoked = "revoked";
    public const string UserDisabled = "user_disabled";
    public const string PasswordChanged = "password_changed";
}

/// <summary>What authentication needs to know of a session on every request.</summary>
public sealed record SessionState(Guid Id, Guid UserId, DateTimeOffset LastSeenAt, DateTimeOffset? EndedAt)
{
    /// <summary>A cookie of <paramref name="userId"/> naming this session is still good.</summary>
    public bool Accepts(Guid userId) => EndedAt is null && UserId == userId;

    /// <summary>Whether a request at <paramref name="now"/> should record itself as the last seen: at most once per <paramref name="interval"/>.</summary>
    public bool IsDueForTouch(DateTimeOffset now, TimeSpan interval) => now - LastSeenAt >= interval;

    /// <summary>
    /// Whether no cookie of it can still be unexpired at <paramref name="now"/>: cookies slide for
    /// <paramref name="lifetime"/> from their last use, which was no later than <paramref name="touchInterval"/>
    /// after <see cref="LastSeenAt"/> (a later one would have been recorded).
    /// </summary>
    public bool IsPast(DateTimeOffset now, TimeSpan lifetime, TimeSpan touchInterval) => LastSeenAt < OldestLive(now, lifetime, touchInterval);

    /// <summary>The last-seen time before which a session is <see cref="IsPast"/>, for queries.</summary>
    public static DateTimeOffset OldestLive(DateTimeOffset now, TimeSpan lifetime, TimeSpan touchInterval) => now - lifetime - touchInterval;
}
