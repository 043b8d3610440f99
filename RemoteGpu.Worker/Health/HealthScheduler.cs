using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Provisioning;
using RemoteGpu.Worker.Provisioning;
using StackExchange.Redis;

namespace RemoteGpu.Worker.Health;

/// <summary>
/// Each <see cref="HealthOptions.Interval"/>, one worker — the leader, holding a Redis lock with expiry that it renews
/// every sweep and another worker takes over when it lapses — enqueues a check of every running environment on
/// <c>remotegpu:health</c> (DESIGN.md §5); every worker's <see cref="HealthConsumer"/> drains it.
/// </summary>
internal sealed partial class HealthScheduler(
    IConnectionMultiplexer redis,
    IServiceScopeFactory scopes,
    IOptions<HealthOptions> options,
    TimeProvider time,
    ILogger<HealthScheduler> logger) : BackgroundService
{
    private const string LockKey = "remotegpu:health:lock";

    /// <summary>The stream is trimmed to about this many entries: far more than one sweep, so nothing unread is lost.</summary>
    private const int StreamLength = 200_000;
    private readonly string _lockToken = Guid.NewGuid().ToString("N");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        do
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && ex is not OperationCanceledException)
            {
                LogFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    internal async Task SweepOnceAsync(CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var lease = options.Value.Interval * 3;
        if (!await db.LockExtendAsync(LockKey, _lockToken, lease) && !await db.LockTakeAsync(LockKey, _lockToken, lease))
        {
            return; // Another worker leads.
        }
        using var activity = WorkerTelemetry.Source.StartActivity("health sweep");
        List<string> ids;
        await using (var scope = scopes.CreateAsyncScope())
        {
            ids = await scope.ServiceProvider.GetRequiredService<RemoteGpuDbContext>().Environments.AsNoTracking()
                .Where(e => e.Status == EnvironmentStatus.Running && e.DesiredState == DesiredState.Running)
                .Select(e => e.Id)
                .ToListAsync(cancellationToken);
        }
        // Pipelined: one round trip's latency for the whole sweep, not one per environment.
        await Task.WhenAll(ids.Select(id => db.StreamAddAsync(ProvisioningStreams.Health,
            [new NameValueEntry(ProvisioningStreams.EnvironmentIdField, id)], maxLength: StreamLength, useApproximateMaxLength: true)));
        if (ids.Count > 0)
        {
            await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(ProvisioningStreams.HealthWakeChannel), ids.Count);
        }
        WorkerTelemetry.HealthSweepSize.Add(ids.Count);
        activity?.SetTag("remotegpu.health.environments", ids.Count);
        LogSwept(logger, ids.Count);
    }

    [LoggerMessage(EventId = WorkerEventIds.HealthSweep, Level = LogLevel.Debug, Message = "Enqueued health checks of {Count} running environment(s)")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(EventId = WorkerEventIds.HealthSweepFailed, Level = LogLevel.Warning, Message = "The health sweep failed; the next interval retries")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
