namespace RemoteGpu.Core.Health;

/// <summary>The state of one check, or of an environment as a whole (<see cref="Degraded"/> only there).</summary>
public enum HealthState
{
    Unknown,
    Healthy,
    Degraded,
    Unhealthy,
}

/// <summary>The checks the worker runs on a running environment (DESIGN.md §10).</summary>
public static class HealthCheckNames
{
    public const string Container = "container";
    public const string Ssh = "ssh";
    public const string Jupyter = "jupyter";
    public const string CodeServer = "code_server";
    public const string Gpu = "gpu";

    /// <summary>Without these the environment is unusable: one of them unhealthy makes it unhealthy, any other degraded.</summary>
    public static bool IsEssential(string name) => name is Container or Ssh;
}

/// <summary>
/// What the health checks of one environment last concluded (table <c>environment_health</c>, written by the workers).
/// A check's state changes only after <c>threshold</c> consecutive results that disagree with it, so one slow probe
/// never flaps the status; <see cref="History"/> keeps the last <see cref="HistoryLimit"/> changes.
/// </summary>
public sealed class EnvironmentHealth
{
    public const int HistoryLimit = 50;

    public required string EnvironmentId { get; set; }
    public HealthState Overall { get; set; }
    public DateTimeOffset? CheckedAt { get; set; }

    /// <summary>Repairs tried since the environment was last healthy; past the limit it fails instead.</summary>
    public int Repairs { get; set; }
    public DateTimeOffset? LastRepairAt { get; set; }

    public List<HealthCheckState> Checks { get; set; } = [];
    public List<HealthEvent> History { get; set; } = [];
    public uint Version { get; set; }

    /// <summary>
    /// Records one result of <paramref name="name"/>; returns the change it caused, if it caused one. Until
    /// <paramref name="startingUntil"/> a check that has not passed since the start stays unknown: services take their
    /// time to come up, and are not failing while they do.
    /// </summary>
    public HealthEvent? Record(string name, bool passed, string? error, DateTimeOffset now, int threshold, DateTimeOffset? startingUntil = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 1);
        var check = Checks.Find(c => c.Name == name);
        if (check is null)
        {
            check = new HealthCheckState { Name = name, State = HealthState.Unknown, Since = now };
            Checks.Add(check);
        }
        var observed = passed ? HealthState.Healthy : HealthState.Unhealthy;
        check.CheckedAt = now;
        check.LastError = passed ? check.LastError : error;
        if (!passed && check.State == HealthState.Unknown && now < startingUntil)
        {
            check.Candidate = null;
            check.Streak = 0;
            return null;
        }
        if (observed == check.State)
        {
            check.Candidate = null;
            check.Streak = 0;
            return null;
        }
        check.Streak = check.Candidate == observed ? check.Streak + 1 : 1;
        check.Candidate = observed;
        if (check.Streak < threshold)
        {
            return null;
        }

        var change = new HealthEvent(now, HealthEvent.Change, name, check.State, observed, passed ? null : error);
        check.State = observed;
        check.Since = now;
        check.Candidate = null;
        check.Streak = 0;
        Remember(change);
        return change;
    }

    /// <summary>Counts a repair of <paramref name="check"/> and remembers what was done.</summary>
    public HealthEvent RecordRepair(string check, string action, DateTimeOffset now)
    {
        Repairs++;
        LastRepairAt = now;
        var repair = new HealthEvent(now, HealthEvent.Repair, check, null, null, action);
        Remember(repair);
        return repair;
    }

    private void Remember(HealthEvent healthEvent)
    {
        History.Insert(0, healthEvent);
        if (History.Count > HistoryLimit)
        {
            History.RemoveRange(HistoryLimit, History.Count - HistoryLimit);
        }
    }

    /// <summary>The container started again since the last check: every check begins anew (repairs and history stay).</summary>
    public void Restarted(DateTimeOffset now)
    {
        foreach (var check in Checks)
        {
            check.State = HealthState.Unknown;
            check.Since = now;
            check.Candidate = null;
            check.Streak = 0;
        }
    }

    /// <summary>Forgets a check that no longer applies (an environment that lost its GPUs, say).</summary>
    public void Forget(string name) => Checks.RemoveAll(c => c.Name == name);

    public HealthState State(string name) => Checks.Find(c => c.Name == name)?.State ?? HealthState.Unknown;

    /// <summary>
    /// Unhealthy when an essential check is; degraded when another is; unknown until every check has an answer;
    /// otherwise healthy.
    /// </summary>
    public HealthState ComputeOverall()
    {
        if (Checks.Count == 0)
        {
            return HealthState.Unknown;
        }
        if (Checks.Any(c => c.State == HealthState.Unhealthy && HealthCheckNames.IsEssential(c.Name)))
        {
            return HealthState.Unhealthy;
        }
        if (Checks.Any(c => c.State == HealthState.Unhealthy))
        {
            return HealthState.Degraded;
        }
        return Checks.Any(c => c.State == HealthState.Unknown) ? HealthState.Unknown : HealthState.Healthy;
    }
}

/// <summary>One check's current state, and the disagreeing results seen in a row (<see cref="Streak"/>).</summary>
public sealed class HealthCheckState
{
    public required string Name { get; set; }
    public HealthState State { get; set; }
    public DateTimeOffset Since { get; set; }
    public DateTimeOffset? CheckedAt { get; set; }
    public string? LastError { get; set; }
    public HealthState? Candidate { get; set; }
    public int Streak { get; set; }
}

/// <summary>A check changed state (<see cref="Change"/>: from, to, the error) or was repaired (<see cref="Repair"/>: what was done).</summary>
public sealed record HealthEvent(DateTimeOffset At, string Kind, string Check, HealthState? From, HealthState? To, string? Detail)
{
    public const string Change = "change";
    public const string Repair = "repair";
}
