using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Provisioning;
using RemoteGpu.Worker.Runtime;
using StackExchange.Redis;

namespace RemoteGpu.Worker.Provisioning;

/// <summary>
/// The safety net under the stream (DESIGN.md §5): on an interval, one worker at a time (a Redis
/// lock with expiry) re-sends every row that has not converged to its desired state, and removes
/// managed containers that no live row claims (orphans).
/// </summary>
internal sealed partial class Reconciler(
    IConnectionMultiplexer redis,
    IServiceScopeFactory scopes,
    ProvisioningQueue queue,
    PlatformIdentity platform,
    IOptions<ProvisioningOptions> options,
    TimeProvider time,
    ILogger<Reconciler> logger) : BackgroundService
{
    private const string LockKey = "remotegpu:reconciler:lock";
    private readonly string _lockToken = Guid.NewGuid().ToString("N");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.ReconcileInterval, time);
        do
        {
            try
            {
                await ReconcileOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && ex is not OperationCanceledException)
            {
                LogFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    internal async Task ReconcileOnceAsync(CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        if (!await db.LockTakeAsync(LockKey, _lockToken, options.Value.ReconcileInterval * 3))
        {
            return;
        }
        // One trace per pass, with its queries, re-sent hints and Docker calls.
        using var activity = WorkerTelemetry.Source.StartActivity("reconcile");
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var data = scope.ServiceProvider.GetRequiredService<RemoteGpuDbContext>();
            await ResendUnconvergedAsync(data, cancellationToken);
            await RemoveOrphansAsync(data, scope.ServiceProvider.GetRequiredService<IWorkspaceRuntime>(), cancellationToken);
        }
        finally
        {
            await db.LockReleaseAsync(LockKey, _lockToken);
        }
    }

    private async Task ResendUnconvergedAsync(RemoteGpuDbContext data, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var settled = now - options.Value.ReconcileGrace;
        var ids = await data.Environments.AsNoTracking()
            .Where(e => e.UpdatedAt < settled)
            .Where(e =>
                (e.DesiredState == DesiredState.Running && e.Status != EnvironmentStatus.Running
                    && !(e.Status == EnvironmentStatus.Failed && e.StatusReason != null))
                || (e.DesiredState == DesiredState.Running && e.Status == EnvironmentStatus.Running
                    && e.Access!.AppliedCredentialsVersion < e.Access.CredentialsVersion)
                // A grant expired since the Jupyter token was issued: the converger replaces the token.
                || (e.DesiredState == DesiredState.Running && e.Status == EnvironmentStatus.Running
                    && data.EnvironmentGrants.Any(g => g.EnvironmentId == e.Id && g.ExpiresAt <= now
                        && (e.Access!.JupyterTokenIssuedAt == null || g.ExpiresAt > e.Access.JupyterTokenIssuedAt)))
                || (e.DesiredState == DesiredState.Stopped && e.Status != EnvironmentStatus.Stopped && e.Status != EnvironmentStatus.Failed)
                || (e.DesiredState == DesiredState.Deleted && e.Status != EnvironmentStatus.Deleted))
            .OrderBy(e => e.UpdatedAt) // the longest waiting first, when more than a pass takes are waiting
            .Select(e => e.Id)
            .Take(1000)
            .ToListAsync(cancellationToken);
        foreach (var id in ids)
        {
            await queue.SendAsync(id, ProvisioningReasons.Reconcile);
        }
        if (ids.Count > 0)
        {
            LogResent(logger, ids.Count);
        }
    }

    private async Task RemoveOrphansAsync(RemoteGpuDbContext data, IWorkspaceRuntime runtime, CancellationToken cancellationToken)
    {
        // Only this installation's containers: another platform may share the engine.
        var managed = await runtime.ListManagedAsync(await platform.GetAsync(cancellationToken), cancellationToken);
        if (managed.Count == 0)
        {
            return;
        }
        var ids = managed.Select(m => m.EnvironmentId).ToList();
        var live = await data.Environments.AsNoTracking()
            .Where(e => ids.Contains(e.Id) && e.Status != EnvironmentStatus.Deleted)
            .Select(e => e.Id)
            .ToListAsync(cancellationToken);
        foreach (var orphan in ids.Except(live))
        {
            await runtime.RemoveAsync(orphan, cancellationToken);
            LogOrphanRemoved(logger, orphan);
        }
    }

    [LoggerMessage(EventId = WorkerEventIds.ReconcilerResent, Level = LogLevel.Information, Message = "Re-sent {Count} unconverged environment(s)")]
    private static partial void LogResent(ILogger logger, int count);

    [LoggerMessage(EventId = WorkerEventIds.OrphanRemoved, Level = LogLevel.Warning, Message = "Removed orphan container of {EnvironmentId}: no live row claims it")]
    private static partial void LogOrphanRemoved(ILogger logger, string environmentId);

    [LoggerMessage(EventId = WorkerEventIds.ReconcilerFailed, Level = LogLevel.Warning, Message = "Reconciliation failed; next interval retries")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
