using Microsoft.Extensions.Options;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Idle;
using RemoteGpu.Worker.Health;
using RemoteGpu.Worker.Provisioning;
using RemoteGpu.Worker.Runtime;

namespace RemoteGpu.Worker.Idle;

/// <summary>
/// Decides, at each health check of a running environment, whether it is idle (<see cref="IdleVerdict"/>): records the
/// verdict and its evidence for the owner, warns logged-in users before the stop (an audited event the Api shows, and a
/// <c>wall</c> message in their terminals), and stops it — keeping its volume — with the reason on the environment and in
/// the audit log. Never on incomplete evidence: a source that could not be read holds the stop back.
/// </summary>
internal sealed partial class IdleMonitor(
    RemoteGpuDbContext db,
    ActivityProbes probes,
    IWorkspaceRuntime runtime,
    IOptions<IdleOptions> options,
    TimeProvider time,
    ILogger<IdleMonitor> logger)
{
    public const string WarningAction = "environment.idle_warning";
    public const string StopAction = "environment.idle_stop";

    /// <summary>Observes the environment; true when it decided to stop it (the caller saves, then hints the converger).</summary>
    public async Task<bool> ObserveAsync(GpuEnvironment environment, AccessInfo access, HealthReadings readings, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var activity = environment.Activity;
        if (activity is null)
        {
            activity = new EnvironmentActivity { EnvironmentId = environment.Id };
            db.EnvironmentActivity.Add(activity);
        }
        if (activity.CheckedAt < environment.StatusChangedAt)
        {
            // Started again since the last look: a new CPU baseline, no warning given yet.
            activity.CpuUsageNanoseconds = null;
            activity.CpuSampledAt = null;
            activity.WarnedAt = null;
            activity.IdleGpuHeldSince = null;
        }

        var now = time.GetUtcNow();
        var unread = await probes.ProbeAsync(environment, access, readings, activity, now, cancellationToken);
        TimeSpan? timeout = environment.IdleTimeoutMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : settings.DefaultTimeout;
        var decision = IdleVerdict.Decide(activity, timeout, environment.StatusChangedAt, environment.KeepAliveUntil, settings.Warning, now);
        var verdict = decision.Verdict;
        var stop = decision.Stop;
        if (unread.Count > 0 && decision.State is IdleState.Stopped or IdleState.Warned)
        {
            stop = false;
            verdict += $" (held back: {string.Join(", ", unread)} could not be read)";
        }

        activity.CheckedAt = now;
        activity.State = stop ? IdleState.Stopped : decision.State == IdleState.Stopped ? IdleState.Warned : decision.State;
        activity.Verdict = verdict.Length <= 512 ? verdict : verdict[..512];
        activity.IdleSince = decision.IdleSince;
        activity.StopAt = decision.StopAt;

        if (decision.Warn && unread.Count == 0)
        {
            activity.WarnedAt = now;
            WorkerAudit.Add(db, time, environment.Id, WarningAction, true, new { stop_at = decision.StopAt, idle_since = decision.IdleSince });
            LogWarned(logger, environment.Id, decision.StopAt);
            await WallAsync(environment.Id, decision.StopAt!.Value, cancellationToken);
        }
        if (!stop)
        {
            return false;
        }
        environment.DesiredState = DesiredState.Stopped;
        environment.StatusReason = $"{IdleVerdict.StopReasonPrefix}{verdict}. Its files are kept; start it again to go on.";
        environment.UpdatedAt = now;
        WorkerAudit.Add(db, time, environment.Id, StopAction, true, new { idle_since = decision.IdleSince, timeout_minutes = timeout?.TotalMinutes, sources = activity.Sources });
        LogStopped(logger, environment.Id, verdict);
        return true;
    }

    /// <summary>The warning in every logged-in user's terminal; not every image has <c>wall</c>, and that is fine.</summary>
    private async Task WallAsync(string environmentId, DateTimeOffset stopAt, CancellationToken cancellationToken)
    {
        var message = $"RemoteGpu: this environment has been idle and will be stopped at {stopAt.UtcDateTime:HH:mm} UTC. " +
            "Your files are kept. Any activity (or a keep-alive) keeps it running.";
        try
        {
            await runtime.ExecAsync(environmentId, ["wall", message], null, cancellationToken);
        }
        catch (WorkspaceRuntimeException)
        {
            // No wall in this image: the Api's activity and the audit log carry the warning.
        }
    }

    [LoggerMessage(EventId = WorkerEventIds.IdleWarned, Level = LogLevel.Information, Message = "{EnvironmentId}: idle; users warned of the stop at {StopAt}")]
    private static partial void LogWarned(ILogger logger, string environmentId, DateTimeOffset? stopAt);

    [LoggerMessage(EventId = WorkerEventIds.IdleStopped, Level = LogLevel.Information, Message = "{EnvironmentId}: stopping for being idle ({Verdict})")]
    private static partial void LogStopped(ILogger logger, string environmentId, string verdict);
}
