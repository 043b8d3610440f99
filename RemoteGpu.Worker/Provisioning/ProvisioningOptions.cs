using System.ComponentModel.DataAnnotations;

namespace RemoteGpu.Worker.Provisioning;

/// <summary>How the worker drains the provisioning stream and reconciles. Section <c>Provisioning</c>.</summary>
internal sealed record ProvisioningOptions
{
    public const string SectionName = "Provisioning";

    /// <summary>A message a consumer has held this long without acknowledging it is taken over (its worker died).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ClaimIdleTime { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Deliveries of one message before it goes to the dead-letter stream and the environment fails.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; init; } = 5;

    /// <summary>
    /// Environments converged at once by one worker. Mostly waiting (the engine, sshd coming up), so
    /// well above the core count: a burst of creates should queue in the engine, not here.
    /// </summary>
    [Range(1, 256)]
    public int MaxConcurrency { get; init; } = 64;

    /// <summary>The longest a worker waits between reads when no wake-up arrives.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A row unconverged for longer than this is re-sent by the reconciler.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReconcileGrace { get; init; } = TimeSpan.FromSeconds(20);
}
