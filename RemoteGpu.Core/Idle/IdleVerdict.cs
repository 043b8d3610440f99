using System.Globalization;

namespace RemoteGpu.Core.Idle;

/// <summary>What to do about an environment's idleness now, and why, in words its owner reads.</summary>
public sealed record IdleDecision(IdleState State, string Verdict, DateTimeOffset? IdleSince, DateTimeOffset? StopAt, bool Warn, bool Stop);

/// <summary>
/// The idle rule (DESIGN.md §10), a pure function: the environment's last activity is the latest of its start and every
/// source's last activity; it stops at that moment plus its timeout, unless a keep-alive lease reaches further; users
/// are warned <see cref="IdleOptions.Warning"/> before (never more than half the timeout), once.
/// </summary>
public static class IdleVerdict
{
    /// <summary>How the reason of an environment stopped for being idle begins (the worker writes it, the Api reads it).</summary>
    public const string StopReasonPrefix = "Stopped for being idle: ";

    /// <param name="activity">The sources as recorded by this check: a source seen now has <c>LastActiveAt == now</c>.</param>
    /// <param name="timeout">The environment's idle timeout; null or zero: never stopped for being idle.</param>
    /// <param name="startedAt">When it last started running: activity before then does not count.</param>
    /// <param name="keepAliveUntil">The keep-alive lease, if any.</param>
    /// <param name="warning">The policy's warning lead (<see cref="IdleOptions.Warning"/>).</param>
    /// <param name="now">The time of this check.</param>
    public static IdleDecision Decide(
        EnvironmentActivity activity, TimeSpan? timeout, DateTimeOffset startedAt, DateTimeOffset? keepAliveUntil, TimeSpan warning, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(activity);
        if (timeout is not { } limit || limit <= TimeSpan.Zero)
        {
            return new IdleDecision(IdleState.Never, "never stopped for being idle (idle timeout 0)", null, null, false, false);
        }
        var latest = activity.Sources.Where(s => s.LastActiveAt > startedAt).MaxBy(s => s.LastActiveAt);
        var idleSince = latest?.LastActiveAt ?? startedAt;
        // A lease counts as activity until it ends: the timeout runs from then.
        if (keepAliveUntil is { } lease && lease > idleSince)
        {
            idleSince = lease;
        }
        var stopAt = idleSince + limit;
        if (keepAliveUntil > now)
        {
            return new IdleDecision(IdleState.KeptAlive, $"kept by: keep-alive lease until {Time(keepAliveUntil.Value)}", null, stopAt, false, false);
        }
        if (latest is { } kept && kept.LastActiveAt >= now)
        {
            var detail = string.IsNullOrEmpty(kept.Detail) ? "" : " " + kept.Detail;
            return new IdleDecision(IdleState.Active, $"kept by: {kept.Source}{detail} at {Time(kept.LastActiveAt)}", null, stopAt, false, false);
        }
        if (now >= stopAt)
        {
            return new IdleDecision(IdleState.Stopped, $"stopped: idle since {Time(idleSince)} ({Span(limit)} without activity)", idleSince, stopAt, false, true);
        }
        var warnAt = stopAt - Lead(limit, warning);
        var verdict = $"stopping at {Time(stopAt)}: idle since {Time(idleSince)}";
        return now >= warnAt
            ? new IdleDecision(IdleState.Warned, verdict, idleSince, stopAt, activity.WarnedAt is null || activity.WarnedAt < warnAt, false)
            : new IdleDecision(IdleState.Idle, verdict, idleSince, stopAt, false, false);
    }

    /// <summary>The warning comes this long before the stop: the policy's, never more than half the timeout.</summary>
    public static TimeSpan Lead(TimeSpan timeout, TimeSpan warning) => warning < timeout / 2 ? warning : timeout / 2;

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Span(TimeSpan span) =>
        span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0} s";
}
