using System.Diagnostics;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Provisioning;
using StackExchange.Redis;

namespace RemoteGpu.Worker.Provisioning;

/// <summary>
/// Drains <c>remotegpu:provision</c> as one consumer of the <c>workers</c> group (DESIGN.md §5):
/// at-least-once, entries a dead worker left pending are claimed after <see cref="ProvisioningOptions.ClaimIdleTime"/>,
/// and an entry that fails <see cref="ProvisioningOptions.MaxAttempts"/> times goes to the dead-letter
/// stream with its environment marked failed. Each entry is handled in its own DI scope.
/// </summary>
internal sealed partial class ProvisioningConsumer(
    IConnectionMultiplexer redis,
    IServiceScopeFactory scopes,
    IOptions<ProvisioningOptions> options,
    TimeProvider time,
    ILogger<ProvisioningConsumer> logger) : BackgroundService
{
    private const string AttemptsKey = ProvisioningStreams.Provision + ":attempts";
    private readonly string _consumer = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
    private readonly SemaphoreSlim _wake = new(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var db = redis.GetDatabase();
        await EnsureGroupAsync(db);
        var subscriber = redis.GetSubscriber();
        await subscriber.SubscribeAsync(RedisChannel.Literal(ProvisioningStreams.WakeChannel), (_, _) => _wake.Release());
        LogStarted(logger, _consumer);

        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Redis commands take no cancellation token: a stop must not wait out the timeout of one whose
                // server has gone (DCP stops Redis and the workers together).
                var claimed = await db.StreamAutoClaimAsync(ProvisioningStreams.Provision, ProvisioningStreams.ConsumerGroup, _consumer,
                    (long)settings.ClaimIdleTime.TotalMilliseconds, "0-0", settings.MaxConcurrency).WaitAsync(stoppingToken);
                var fresh = await db.StreamReadGroupAsync(ProvisioningStreams.Provision, ProvisioningStreams.ConsumerGroup, _consumer, ">", settings.MaxConcurrency)
                    .WaitAsync(stoppingToken);
                var entries = claimed.ClaimedEntries.Concat(fresh).Where(e => !e.IsNull).ToList();
                if (entries.Count == 0)
                {
                    await _wake.WaitAsync(settings.PollInterval, stoppingToken);
                    continue;
                }
                await HandleBatchAsync(db, entries, stoppingToken);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                LogLoopFailed(logger, ex);
                await Task.Delay(settings.PollInterval, time, stoppingToken);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
            {
                // The stream was deleted under us (a flushed Redis): create it again.
                await EnsureGroupAsync(db);
            }
        }
    }

    private async Task HandleBatchAsync(IDatabase db, List<StreamEntry> entries, CancellationToken cancellationToken)
    {
        // One environment once per batch: several hints for it converge the same row anyway.
        var byEnvironment = entries.GroupBy(e => (string?)e[ProvisioningStreams.EnvironmentIdField] ?? "");
        await Task.WhenAll(byEnvironment.Select(group => HandleAsync(db, group.Key, [.. group], cancellationToken)));
    }

    private async Task HandleAsync(IDatabase db, string environmentId, StreamEntry[] entries, CancellationToken cancellationToken)
    {
        // A child of the request that sent the first hint; the others, if any, are linked.
        using var activity = WorkerTelemetry.Source.StartActivity(ActivityKind.Consumer,
            ProvisioningQueue.TraceContextOf(entries[0]),
            links: [.. entries.Skip(1).Select(entry => new ActivityLink(ProvisioningQueue.TraceContextOf(entry)))],
            name: "converge " + ProvisioningStreams.Provision);
        activity?.SetTag(WorkerTelemetry.EnvironmentIdTag, environmentId);
        RedisValue[] ids = [.. entries.Select(entry => entry.Id)];
        var attempts = await db.HashIncrementAsync(AttemptsKey, ids[0]);
        try
        {
            if (environmentId.Length > 0)
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<EnvironmentConverger>().ConvergeAsync(environmentId, cancellationToken);
            }
            await AcknowledgeAsync(db, ids);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            LogFailed(logger, ex, environmentId, attempts, options.Value.MaxAttempts);
            if (attempts < options.Value.MaxAttempts)
            {
                return; // Left pending: claimed again after the idle time, by this worker or another.
            }

            var reason = $"Provisioning failed {attempts} times: {ex.Message}";
            await db.StreamAddAsync(ProvisioningStreams.Provision + ProvisioningStreams.DeadLetterSuffix,
            [
                new NameValueEntry(ProvisioningStreams.EnvironmentIdField, environmentId),
                new NameValueEntry(ProvisioningStreams.ReasonField, reason),
                new NameValueEntry("message_id", ids[0]),
            ]);
            await using (var scope = scopes.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<EnvironmentConverger>().FailAsync(environmentId, reason, cancellationToken);
            }
            await AcknowledgeAsync(db, ids);
            LogDeadLettered(logger, environmentId, attempts);
        }
    }

    private static async Task AcknowledgeAsync(IDatabase db, RedisValue[] ids)
    {
        await db.StreamAcknowledgeAsync(ProvisioningStreams.Provision, ProvisioningStreams.ConsumerGroup, ids);
        await db.HashDeleteAsync(AttemptsKey, ids);
    }

    private static async Task EnsureGroupAsync(IDatabase db)
    {
        try
        {
            await db.StreamCreateConsumerGroupAsync(ProvisioningStreams.Provision, ProvisioningStreams.ConsumerGroup, "0-0", createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another worker created it first.
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = WorkerEventIds.ConsumerStarted, Level = LogLevel.Information, Message = "Consuming the provisioning stream as {Consumer}")]
    private static partial void LogStarted(ILogger logger, string consumer);

    [LoggerMessage(EventId = WorkerEventIds.MessageFailed, Level = LogLevel.Warning, Message = "Converging {EnvironmentId} failed (attempt {Attempt} of {MaxAttempts})")]
    private static partial void LogFailed(ILogger logger, Exception exception, string environmentId, long attempt, int maxAttempts);

    [LoggerMessage(EventId = WorkerEventIds.MessageDeadLettered, Level = LogLevel.Error, Message = "{EnvironmentId} dead-lettered after {Attempts} attempts and marked failed")]
    private static partial void LogDeadLettered(ILogger logger, string environmentId, long attempts);

    [LoggerMessage(EventId = WorkerEventIds.ConsumerLoopFailed, Level = LogLevel.Warning, Message = "Reading the provisioning stream failed; retrying")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
