namespace RemoteGpu.Core.Audit;

/// <summary>An append-only record of who did what to which target, from where, and whether it succeeded.</summary>
public sealed class AuditEvent
{
    public long Id { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
    public Guid? ActorId { get; set; }
    public string? ActorName { get; set; }
    public required string Action { get; set; }
    public string? TargetType { get; set; }
    public string? TargetId { get; set; }
    public string? Address { get; set; }
    public string? UserAgent { get; set; }
    public bool Success { get; set; }

    /// <summary>Free-form JSON; never a secret.</summary>
    public string? Details { get; set; }
}
