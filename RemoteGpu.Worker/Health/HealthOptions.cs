using System.ComponentModel.DataAnnotations;

namespace RemoteGpu.Worker.Health;

/// <summary>How often and how strictly running environments are checked and repaired. Section <c>Health</c>.</summary>
internal sealed record HealthOptions
{
    public const string SectionName = "Health";

    /// <summary>Every running environment is checked once per interval.</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "01:00:00")]
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Consecutive results that disagree with a check's state before it changes (Coder's threshold).</summary>
    [Range(1, 20)]
    public int Threshold { get; init; } = 3;

    /// <summary>
    /// After a start, how long a check that has not passed yet stays unknown instead of failing: a big image's Jupyter
    /// takes its time, and is not repaired for it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan StartupGrace { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The longest one probe may take; past it the probe failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Repairs tried while an environment stays unhealthy: all but the last restart the failing service in place, the
    /// last restarts the container. When they are spent the environment is failed with the reason, never repaired in a loop.
    /// </summary>
    [Range(1, 20)]
    public int MaxRepairs { get; init; } = 3;

    /// <summary>After a repair, the time it gets to take effect before the next one.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RepairBackoff { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The command that reports GPUs inside a workspace (a stand-in where the host has none).</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_./-]+$")]
    public string NvidiaSmi { get; init; } = "nvidia-smi";
}
