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

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public uint Version { get; set; }
}
