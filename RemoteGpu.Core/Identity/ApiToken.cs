namespace RemoteGpu.Core.Identity;

/// <summary>
/// A personal API token (<c>Authorization: Bearer rgpu_…</c>). Only its SHA-256 is stored: the token
/// carries 160 random bits, so a fast hash is enough and lookups stay one index probe.
/// </summary>
public sealed class ApiToken
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public User? User { get; set; }
    public required string Name { get; set; }

    /// <summary>The first characters of the token, to tell tokens apart in a list.</summary>
    public required string Prefix { get; set; }
    public required string TokenHash { get; set; }

    /// <summary>The owner's security stamp when the token was made: a password change or disable voids it.</summary>
    public Guid SecurityStamp { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
}
