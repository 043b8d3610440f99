using Microsoft.Extensions.Options;
using RemoteGpu.Core.Provisioning;
using RemoteGpu.Worker.Streams;
using StackExchange.Redis;

namespace RemoteGpu.Worker.Provisioning;

/// <summary>
/// Drains <c>remotegpu:provision</c>: each hint converges its environment's container to the row. A hint that fails
/// every attempt goes to the dead-letter stream, with its environment marked failed and the reason recorded.
/// </summary>
internal sealed partial class ProvisioningConsumer(
    IConnectionMultiplexer redis,
    IServiceScopeFactory scopes,
    IOptions<ProvisioningOptions> options,
    TimeProvider time,
    ILogger<ProvisioningConsumer> logger) : StreamConsumerService(redis, options, time, logger)
{
    protected override string Stream => ProvisioningStreams.Provision;

    protected override string WakeChannel => ProvisioningStreams.WakeChannel;

    protected override string ActivityName => "converge " + ProvisioningStreams.Provision;

    protected override async Task HandleAsync(string environmentId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<EnvironmentConverger>().ConvergeAsync(environmentId, cancellationToken);
    }

    protected override async Task GiveUpAsync(IDatabase db, string environmentId, RedisValue messageId, long attempts, Exception exception, CancellationToken cancellationToken)
    {
        var reason = $"Provisioning failed {attempts} times: {exception.Message}";
        await db.StreamAddAsync(ProvisioningStreams.Provision + ProvisioningStreams.DeadLetterSuffix,
        [
            new NameValueEntry(ProvisioningStreams.EnvironmentIdField, environmentId),
            new NameValueEntry(ProvisioningStreams.ReasonField, reason),
            new NameValueEntry("message_id", messageId),
        ]);
        await using (var scope = scopes.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<EnvironmentConverger>().FailAsync(environmentId, reason, cancellationToken);
        }
        LogDeadLettered(Logger, environmentId, attempts);
    }

    [LoggerMessage(EventId = WorkerEventIds.MessageDeadLettered, Level = LogLevel.Error, Message = "{EnvironmentId} dead-lettered after {Attempts} attempts and marked failed")]
    private static partial void LogDeadLettered(ILogger logger, string environmentId, long attempts);
}
