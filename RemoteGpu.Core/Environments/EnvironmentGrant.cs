using RemoteGpu.Core.Identity;

namespace RemoteGpu.Core.Environments;

/// <summary>
/// Access to another user's environment until <see cref="ExpiresAt"/>. An expired grant simply stops
/// matching the access query; no job has to remove it.
/// </summary>
public sealed class EnvironmentGrant
{
    public Guid Id { get; set; }
    public required string EnvironmentId { get; set; }
    public Guid UserId { get; set; }
    public User? User { get; set; }
    public Guid GrantedById { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
