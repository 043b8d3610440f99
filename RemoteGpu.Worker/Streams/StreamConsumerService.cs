using System.Diagnostics;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Provisioning;
using RemoteGpu.Worker.Provisioning;
using StackExchange.Redis;

namespace RemoteGpu.Worker.Streams;

/// <summary>
/// Drains one of the workers' streams as one consumer of the <c>workers</c> group (DESIGN.md §5): at-least-once,
/// entries a dead worker left pending are claimed after <see cref="ProvisioningOptions.ClaimIdleTime"/>, and an entry
/// that fails <see cref="ProvisioningOptions.MaxAttempts"/> times is given up (<see cref="GiveUpAsync"/>). Entries
/// for one environment in a batch are handled once. A flushed or restarted Redis loses the stream and its group:
/// the consumer creates them again and goes on (the reconciler and the health scheduler send again what was lost).
/// </summary>
internal abstract partial class StreamConsumerService(
    IConnectionMultiplexer redis,
    IOptions<ProvisioningOptions> options,
    TimeProvider time,
    ILogger logger) : BackgroundService
{
    private readonly string _consumer = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>The stream, e.g. <see cref="ProvisioningStreams.Provision"/>.</summary>
    protected abstract string Stream { get; }

    /// <summary>Published by senders so that idle consumers read at once instead of at their next poll.</summary>
    protected abstract string WakeChannel { get; }

    /// <summary>The span of handling one environment's entries, e.g. <c>converge remotegpu:provision</c>.</summary>
    protected abstract string ActivityName { get; }

    /// <summary>Handles the entries of one environment; throwing leaves them pending for another attempt.</summary>
    protected abstract Task HandleAsync(string environmentId, CancellationToken cancellationToken);

    /// <summary>The last attempt failed: record it where it will be read. The entries are acknowledged after.</summary>
    protected abstract Task GiveUpAsync(IDatabase db, string environmentId, RedisValue messageId, long attempts, Exception exception, CancellationToken cancellationToken);

    protected ILogger Logger { get; } = logger;

    private string AttemptsKey => Stream + ":attempts";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var db = redis.GetDatabase();
        await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(WakeChannel), (_, _) => _wake.Release());
        LogStarted(Logger, Stream, _consumer);

        var settings = options.Value;
        var groupReady = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!groupReady)
                {
                    await EnsureGroupAsync(db).WaitAsync(stoppingToken);
                    groupReady = true;
                }
                // Redis commands take no cancellation token: a stop must not wait out the timeout of one whose
                // server has gone (DCP stops Redis and the workers together).
                var claimed = await db.StreamAutoClaimAsync(Stream, ProvisioningStreams.ConsumerGroup, _consumer,
                    (long)settings.ClaimIdleTime.TotalMilliseconds, "0-0", settings.MaxConcurrency).WaitAsync(stoppingToken);
                var fresh = await db.StreamReadGroupAsync(Stream, ProvisioningStreams.ConsumerGroup, _consumer, ">", settings.MaxConcurrency)
                    .WaitAsync(stoppingToken);
                var entries = claimed.ClaimedEntries.Concat(fresh).Where(e => !e.IsNull).ToList();
                if (entries.Count == 0)
                {
                    await _wake.WaitAsync(settings.PollInterval, stoppingToken);
                    continue;
                }
                await HandleBatchAsync(db, entries, stoppingToken);
            }
            // Before the clause below, which would catch it too: the stream or its group was lost with Redis's data.
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal) && !stoppingToken.IsCancellationRequested)
            {
                LogGroupLost(Logger, Stream);
                groupReady = false;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                LogLoopFailed(Logger, ex, Stream);
                await Task.Delay(settings.PollInterval, time, stoppingToken);
            }
        }
    }

    private async Task HandleBatchAsync(IDatabase db, List<StreamEntry> entries, CancellationToken cancellationToken)
    {
        var byEnvironment = entries.GroupBy(e => (string?)e[ProvisioningStreams.EnvironmentIdField] ?? "");
        await Task.WhenAll(byEnvironment.Select(group => HandleEntriesAsync(db, group.Key, [.. group], cancellationToken)));
    }

    private async Task HandleEntriesAsync(IDatabase db, string environmentId, StreamEntry[] entries, CancellationToken cancellationToken)
    {
        // A child of the request that sent the first entry; the others, if any, are linked.
        using var activity = WorkerTelemetry.Source.StartActivity(ActivityKind.Consumer,
            ProvisioningQueue.TraceContextOf(entries[0]),
            links: [.. entries.Skip(1).Select(entry => new ActivityLink(ProvisioningQueue.TraceContextOf(entry)))],
            name: ActivityName);
        activity?.SetTag(WorkerTelemetry.EnvironmentIdTag, environmentId);
        RedisValue[] ids = [.. entries.Select(entry => entry.Id)];
        var attempts = await db.HashIncrementAsync(AttemptsKey, ids[0]);
        try
        {
            if (environmentId.Length > 0)
            {
                await HandleAsync(environmentId, cancellationToken);
            }
            await AcknowledgeAsync(db, ids);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            LogFailed(Logger, ex, Stream, environmentId, attempts, options.Value.MaxAttempts);
            if (attempts < options.Value.MaxAttempts)
            {
                return; // Left pending: claimed again after the idle time, by this worker or another.
            }
            await GiveUpAsync(db, environmentId, ids[0], attempts, ex, cancellationToken);
            await AcknowledgeAsync(db, ids);
        }
    }

    private async Task AcknowledgeAsync(IDatabase db, RedisValue[] ids)
    {
        await db.StreamAcknowledgeAsync(Stream, ProvisioningStreams.ConsumerGroup, ids);
        await db.HashDeleteAsync(AttemptsKey, ids);
    }

    private async Task EnsureGroupAsync(IDatabase db)
    {
        try
        {
            await db.StreamCreateConsumerGroupAsync(Stream, ProvisioningStreams.ConsumerGroup, "0-0", createStream: true);
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

    [LoggerMessage(EventId = WorkerEventIds.ConsumerStarted, Level = LogLevel.Information, Message = "Consuming {Stream} as {Consumer}")]
    private static partial void LogStarted(ILogger logger, string stream, string consumer);

    [LoggerMessage(EventId = WorkerEventIds.MessageFailed, Level = LogLevel.Warning, Message = "Handling {EnvironmentId} from {Stream} failed (attempt {Attempt} of {MaxAttempts})")]
    private static partial void LogFailed(ILogger logger, Exception exception, string stream, string environmentId, long attempt, int maxAttempts);

    [LoggerMessage(EventId = WorkerEventIds.ConsumerLoopFailed, Level = LogLevel.Warning, Message = "Reading {Stream} failed; retrying")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception, string stream);

    [LoggerMessage(EventId = WorkerEventIds.ConsumerGroupLost, Level = LogLevel.Warning, Message = "{Stream} or its consumer group is gone (Redis lost its data); creating them again")]
    private static partial void LogGroupLost(ILogger logger, string stream);
}
