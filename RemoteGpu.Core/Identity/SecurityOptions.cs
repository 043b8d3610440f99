using System.ComponentModel.DataAnnotations;

namespace RemoteGpu.Core.Identity;

public enum TwoFactorPolicy
{
    /// <summary>Users choose.</summary>
    Optional,

    /// <summary>Administrators must enrol a second factor (JumpServer's "admins only").</summary>
    Admins,

    /// <summary>Everybody must.</summary>
    All,
}

/// <summary>Login and session policy. Section <c>Security</c>.</summary>
public sealed record SecurityOptions
{
    public const string SectionName = "Security";

    public TwoFactorPolicy TwoFactor { get; init; } = TwoFactorPolicy.Optional;

    /// <summary>Consecutive failed logins for one user name before it is locked.</summary>
    [Range(1, 100)]
    public int LockoutThreshold { get; init; } = 5;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LockoutDuration { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Login attempts one client address may make per minute, whatever the user names.</summary>
    [Range(1, 10_000)]
    public int LoginAttemptsPerMinutePerAddress { get; init; } = 30;

    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromHours(12);

    /// <summary>
    /// How stale a session's last-seen time may get: a request records itself at most this often per session,
    /// not on every request (one write per interval, not per request).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan SessionTouchInterval { get; init; } = TimeSpan.FromMinutes(5);

    public bool RequiresTwoFactor(string role) => TwoFactor switch
    {
        TwoFactorPolicy.All => true,
        TwoFactorPolicy.Admins => role == Roles.Admin,
        _ => false,
    };
}
