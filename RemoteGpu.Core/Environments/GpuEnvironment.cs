using RemoteGpu.Core.Health;
using RemoteGpu.Core.Identity;
using RemoteGpu.Core.Idle;

namespace RemoteGpu.Core.Environments;

/// <summary>
/// One workspace. The row is the source of truth: <see cref="DesiredState"/> is written by the Api,
/// <see cref="Status"/> by the worker, both under optimistic concurrency on <see cref="Version"/>.
/// </summary>
public sealed class GpuEnvironment
{
    /// <summary><c>env-</c> + 8 lowercase hex digits; also the DNS label <c>env-&lt;id&gt;.&lt;domain&gt;</c>.</summary>
    public required string Id { get; set; }
    public Guid OwnerId { get; set; }
    public User? Owner { get; set; }
    public required string Name { get; set; }
    public required string Image { get; set; }
    public int GpuCount { get; set; }
    public decimal CpuCores { get; set; }
    public int MemoryMb { get; set; }

    /// <summary>Minutes without activity before the environment is stopped; null: the platform's default; 0: never.</summary>
    public int? IdleTimeoutMinutes { get; set; }

    /// <summary>A keep-alive lease: not stopped for being idle before then (and the timeout runs from then).</summary>
    public DateTimeOffset? KeepAliveUntil { get; set; }

    public DesiredState DesiredState { get; set; }
    public EnvironmentStatus Status { get; set; }
    public string? StatusReason { get; set; }

    /// <summary>The Docker host the scheduler placed it on, and the container there.</summary>
    public string? HostName { get; set; }
    public string? ContainerId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset StatusChangedAt { get; set; }
    public uint Version { get; set; }

    public AccessInfo? Access { get; set; }

    /// <summary>What the health checks last concluded; none before the first check.</summary>
    public EnvironmentHealth? Health { get; set; }

    /// <summary>What the idle probes last saw, and the verdict; none before the first probe.</summary>
    public EnvironmentActivity? Activity { get; set; }
}
