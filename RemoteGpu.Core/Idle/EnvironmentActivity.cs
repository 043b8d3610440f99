namespace RemoteGpu.Core.Idle;

/// <summary>The things that mean someone or something is working in an environment.</summary>
public static class ActivitySources
{
    public const string Ssh = "ssh";
    public const string Kernel = "jupyter_kernel";
    public const string Terminal = "jupyter_terminal";
    public const string CodeServer = "code_server";
    public const string Edge = "edge";
    public const string Cpu = "cpu";
    public const string Gpu = "gpu";
    public const string KeepAlive = "keep_alive";
}

/// <summary>
/// What the idle probes last saw in one environment (table <c>environment_activity</c>, written by the workers with the
/// health checks): the last moment each source was active, and the verdict with its reason, readable by the owner.
/// </summary>
public sealed class EnvironmentActivity
{
    public required string EnvironmentId { get; set; }
    public DateTimeOffset? CheckedAt { get; set; }

    /// <summary>Each source's last activity, with what was seen then ("2 sessions", "87 %").</summary>
    public List<ActivitySource> Sources { get; set; } = [];

    public IdleState State { get; set; }
    public string? Verdict { get; set; }
    public DateTimeOffset? IdleSince { get; set; }
    public DateTimeOffset? StopAt { get; set; }

    /// <summary>When users were warned of the stop at <see cref="StopAt"/>; cleared by activity.</summary>
    public DateTimeOffset? WarnedAt { get; set; }

    /// <summary>Since when GPU memory has been held at 0 % utilisation without a pause ("idle GPU held").</summary>
    public DateTimeOffset? IdleGpuHeldSince { get; set; }

    /// <summary>The container's cumulative CPU time at the last probe, to measure use between probes.</summary>
    public long? CpuUsageNanoseconds { get; set; }
    public DateTimeOffset? CpuSampledAt { get; set; }

    public uint Version { get; set; }

    public DateTimeOffset? LastActive(string source) => Sources.Find(s => s.Source == source)?.LastActiveAt;

    /// <summary>Records that <paramref name="source"/> was active at <paramref name="at"/> (never moving it back).</summary>
    public void Saw(string source, DateTimeOffset at, string detail)
    {
        var known = Sources.Find(s => s.Source == source);
        if (known is null)
        {
            Sources.Add(new ActivitySource { Source = source, LastActiveAt = at, Detail = detail });
        }
        else if (at >= known.LastActiveAt)
        {
            known.LastActiveAt = at;
            known.Detail = detail;
        }
    }
}

public sealed class ActivitySource
{
    public required string Source { get; set; }
    public DateTimeOffset LastActiveAt { get; set; }
    public string? Detail { get; set; }
}

public enum IdleState
{
    /// <summary>Not yet probed.</summary>
    Unknown,

    /// <summary>Something worked within the timeout.</summary>
    Active,

    /// <summary>A keep-alive lease holds it.</summary>
    KeptAlive,

    /// <summary>Nothing worked for a while; the stop is ahead.</summary>
    Idle,

    /// <summary>Users were warned; the stop is near.</summary>
    Warned,

    /// <summary>Stopped for being idle.</summary>
    Stopped,

    /// <summary>Its timeout is 0: never stopped for being idle.</summary>
    Never,
}

/// <summary>Where the edge leaves its traffic for the idle probes: a Redis hash of environment id → Unix milliseconds.</summary>
public static class EdgeActivityKeys
{
    public const string Hash = "remotegpu:activity:edge";
}
