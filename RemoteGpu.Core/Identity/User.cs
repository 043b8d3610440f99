namespace RemoteGpu.Core.Identity;

/// <summary>A local account. The user name is stored lower-case; the password only as a bcrypt hash.</summary>
public sealed class User
{
    public Guid Id { get; set; }
    public required string UserName { get; set; }
    public required string PasswordHash { get; set; }
    public required string Role { get; set; }
    public bool IsDisabled { get; set; }

    /// <summary>Changed whenever the password changes or the user is disabled: every cookie and token issued before it stops working.</summary>
    public Guid SecurityStamp { get; set; } = Guid.NewGuid();

    /// <summary>The TOTP secret, protected with Data Protection; set at enrolment, live once <see cref="TotpEnabled"/>.</summary>
    public string? TotpSecretProtected { get; set; }
    public bool TotpEnabled { get; set; }

    /// <summary>The last TOTP time step accepted: a code is good once, not for its whole 30 s window.</summary>
    public long? TotpLastStep { get; set; }

    public DateTimeOffset? LastLoginAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public uint Version { get; set; }
}
