using System.ComponentModel.DataAnnotations;

namespace RemoteGpu.Core.Idle;

/// <summary>
/// The platform's idle policy (DESIGN.md §10). Section <c>Idle</c>. An environment is stopped once nothing has been
/// working in it for its timeout (its own <c>idle_timeout_minutes</c>, or <see cref="DefaultTimeout"/>), after a warning.
/// </summary>
public sealed record IdleOptions
{
    public const string SectionName = "Idle";

    /// <summary>For environments without a timeout of their own (seed 002: 30 minutes).</summary>
    [Range(typeof(TimeSpan), "00:00:05", "30.00:00:00")]
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The longest <c>idle_timeout_minutes</c> an owner may set.</summary>
    [Range(1, 43_200)]
    public int MaxTimeoutMinutes { get; init; } = 24 * 60;

    /// <summary>Whether an owner may set <c>idle_timeout_minutes</c> to 0: never stopped for being idle.</summary>
    public bool AllowNever { get; init; } = true;

    /// <summary>The furthest a keep-alive lease may reach from the moment it is taken.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan MaxKeepAlive { get; init; } = TimeSpan.FromHours(72);

    /// <summary>How long before the stop users are warned; never more than half the environment's timeout.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Warning { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The container's CPU use, in percent of one core over a probe interval, above which it is working.</summary>
    [Range(0.1, 10_000)]
    public double CpuThresholdPercent { get; init; } = 10;

    /// <summary>GPU utilisation, in percent, above which a GPU is working.</summary>
    [Range(0, 100)]
    public int GpuThresholdPercent { get; init; } = 5;

    /// <summary>Whether GPU memory held at 0 % utilisation for a whole timeout stops the environment (it is always reported).</summary>
    public bool StopIdleGpuHeld { get; init; }
}
