using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Health;
using RemoteGpu.Core.Provisioning;
using RemoteGpu.Worker.Idle;
using RemoteGpu.Worker.Provisioning;
using RemoteGpu.Worker.Runtime;

namespace RemoteGpu.Worker.Health;

/// <summary>
/// Handles one entry of <c>remotegpu:health</c>: probes a running environment, records the results (a check changes
/// state after <see cref="HealthOptions.Threshold"/> results in a row), audits and counts every change, and repairs
/// from the smallest step to the largest (DESIGN.md §10): a dead Jupyter or code-server is restarted in place, a
/// container that exited or vanished is started or recreated on its volume by the converger, and when
/// <see cref="HealthOptions.MaxRepairs"/> repairs have not made it healthy the environment is failed with the reason.
/// Idempotent: an entry delivered twice within half an interval finds the environment just checked and does nothing.
/// </summary>
internal sealed partial class HealthMonitor(
    RemoteGpuDbContext db,
    HealthProbes probes,
    IWorkspaceRuntime runtime,
    IdleMonitor idle,
    ProvisioningQueue provisioning,
    IOptions<HealthOptions> options,
    TimeProvider time,
    ILogger<HealthMonitor> logger)
{
    public const string ChangeAction = "environment.health";
    public const string RepairAction = "environment.repair";

    private const string RestartService = "restart_service";
    private const string RestartContainer = "restart_container";
    private const string RecreateContainer = "recreate_container";
    private const string GiveUp = "give_up";

    public async Task CheckAsync(string environmentId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var environment = await db.Environments.Include(e => e.Access).Include(e => e.Health).Include(e => e.Activity)
            .SingleOrDefaultAsync(e => e.Id == environmentId, cancellationToken);
        if (environment is not { Status: EnvironmentStatus.Running, DesiredState: DesiredState.Running, Access: { } access })
        {
            return; // Stopped, changing, or gone since the sweep: the next sweep decides again.
        }
        var now = time.GetUtcNow();
        if (environment.Health?.CheckedAt > now - settings.Interval / 2)
        {
            return; // A second delivery, or two sweeps close together.
        }

        var readings = await probes.RunAsync(environment, access, cancellationToken);
        var results = readings.Results;
        now = time.GetUtcNow();
        var health = environment.Health;
        if (health is null)
        {
            health = new EnvironmentHealth { EnvironmentId = environment.Id };
            db.EnvironmentHealth.Add(health);
        }
        if (health.CheckedAt < environment.StatusChangedAt)
        {
            health.Restarted(now);
        }
        foreach (var stale in health.Checks.Select(c => c.Name).Except(results.Select(r => r.Check)).ToList())
        {
            health.Forget(stale); // No longer probed: the image lost a service, or the container is down (gpu).
        }
        foreach (var result in results)
        {
            if (health.Record(result.Check, result.Passed, result.Error, now, settings.Threshold, environment.StatusChangedAt + settings.StartupGrace) is { } change)
            {
                WorkerTelemetry.HealthChanges.Add(1, new("check", change.Check), new("to", Name(change.To)));
                LogChanged(logger, environment.Id, change.Check, change.From, change.To, change.Detail);
                WorkerAudit.Add(db, time, environment.Id, ChangeAction, change.To == HealthState.Healthy, new { check = change.Check, from = Name(change.From), to = Name(change.To), error = change.Detail });
            }
        }
        health.CheckedAt = now;
        health.Overall = health.ComputeOverall();
        if (health.Overall == HealthState.Healthy)
        {
            health.Repairs = 0;
        }

        await RepairAsync(environment, health, now, cancellationToken);
        // Idle is judged on a container that runs; never while it is being repaired.
        var stopping = environment.Status == EnvironmentStatus.Running && health.State(HealthCheckNames.Container) != HealthState.Unhealthy
            && await idle.ObserveAsync(environment, access, readings, cancellationToken);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // The environment changed meanwhile (stopped, say) or another worker recorded a check: this result is stale.
            return;
        }
        if (environment.Status == EnvironmentStatus.Provisioning)
        {
            await provisioning.SendAsync(environment.Id, ProvisioningReasons.Repair);
        }
        else if (stopping)
        {
            await provisioning.SendAsync(environment.Id, ProvisioningReasons.IdleStop);
        }
    }

    private async Task RepairAsync(GpuEnvironment environment, EnvironmentHealth health, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var failing = new[] { HealthCheckNames.Container, HealthCheckNames.Ssh, HealthCheckNames.Jupyter, HealthCheckNames.CodeServer }
            .FirstOrDefault(name => health.State(name) == HealthState.Unhealthy);
        if (failing is null || now - health.LastRepairAt < settings.RepairBackoff)
        {
            return;
        }
        var error = health.Checks.Find(c => c.Name == failing)?.LastError;
        if (health.Repairs >= settings.MaxRepairs)
        {
            var reason = $"Unhealthy after {health.Repairs} repairs: {failing} ({error ?? "failing"}). Start it again to retry.";
            Repaired(environment, health, failing, GiveUp, now);
            environment.Status = EnvironmentStatus.Failed;
            environment.StatusReason = reason;
            environment.StatusChangedAt = now;
            environment.UpdatedAt = now;
            LogGaveUp(logger, environment.Id, health.Repairs, failing);
            return;
        }

        var lastTry = health.Repairs == settings.MaxRepairs - 1;
        if (failing is HealthCheckNames.Jupyter or HealthCheckNames.CodeServer && !lastTry)
        {
            // The smallest step: the service again, in the same container (the supervisor in the entrypoint starts it).
            Repaired(environment, health, failing, RestartService, now);
            var service = failing == HealthCheckNames.Jupyter ? "jupyter" : "code-server";
            var restarted = await runtime.ExecAsync(environment.Id, ["remotegpu-entrypoint", "restart-service", service], null, cancellationToken);
            if (restarted.ExitCode != 0)
            {
                LogRepairFailed(logger, environment.Id, service, restarted.ExitCode);
            }
            return;
        }

        // The container again: started, or created on its volume when it vanished, by the converger as at any start.
        var vanished = health.Checks.Find(c => c.Name == HealthCheckNames.Container)?.LastError == "no container";
        Repaired(environment, health, failing, vanished ? RecreateContainer : RestartContainer, now);
        if (failing != HealthCheckNames.Container)
        {
            await runtime.StopAsync(environment.Id, cancellationToken);
        }
        environment.Status = EnvironmentStatus.Provisioning;
        environment.StatusReason = $"Self-healing: {failing} unhealthy ({error ?? "failing"})";
        environment.StatusChangedAt = now;
        environment.UpdatedAt = now;
        if (environment.Access is { } access)
        {
            access.JupyterUpstream = null;
            access.CodeServerUpstream = null;
        }
    }

    private void Repaired(GpuEnvironment environment, EnvironmentHealth health, string check, string action, DateTimeOffset now)
    {
        if (action != GiveUp)
        {
            health.RecordRepair(check, action, now);
        }
        WorkerTelemetry.HealthRepairs.Add(1, new("check", check), new("action", action));
        LogRepair(logger, environment.Id, check, action, health.Repairs);
        WorkerAudit.Add(db, time, environment.Id, RepairAction, action != GiveUp, new { check, action, repairs = health.Repairs });
    }

    private static string Name(HealthState? state) => (state ?? HealthState.Unknown).ToString().ToLowerInvariant();

    [LoggerMessage(EventId = WorkerEventIds.HealthChanged, Level = LogLevel.Information, Message = "{EnvironmentId}: {Check} {From} -> {To} ({Error})")]
    private static partial void LogChanged(ILogger logger, string environmentId, string check, HealthState? from, HealthState? to, string? error);

    [LoggerMessage(EventId = WorkerEventIds.HealthRepaired, Level = LogLevel.Warning, Message = "{EnvironmentId}: {Check} unhealthy; repair {Action} (repair {Repairs})")]
    private static partial void LogRepair(ILogger logger, string environmentId, string check, string action, int repairs);

    [LoggerMessage(EventId = WorkerEventIds.HealthGaveUp, Level = LogLevel.Error, Message = "{EnvironmentId}: {Check} still unhealthy after {Repairs} repairs; the environment is failed")]
    private static partial void LogGaveUp(ILogger logger, string environmentId, int repairs, string check);

    [LoggerMessage(EventId = WorkerEventIds.HealthRepairFailed, Level = LogLevel.Warning, Message = "{EnvironmentId}: restarting {Service} in place exited with {ExitCode}")]
    private static partial void LogRepairFailed(ILogger logger, string environmentId, string service, int exitCode);
}
