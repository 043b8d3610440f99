using Microsoft.Extensions.Options;
using RemoteGpu.Core.Provisioning;
using RemoteGpu.Worker.Provisioning;
using RemoteGpu.Worker.Streams;
using StackExchange.Redis;

namespace RemoteGpu.Worker.Health;

/// <summary>
/// Drains <c>remotegpu:health</c>: each entry checks one environment (<see cref="HealthMonitor"/>). An entry that keeps
/// failing (Postgres away, say) is dropped after its last attempt: the next sweep sends a fresh one.
/// </summary>
internal sealed partial class HealthConsumer(
    IConnectionMultiplexer redis,
    IServiceScopeFactory scopes,
    IOptions<ProvisioningOptions> options,
    TimeProvider time,
    ILogger<HealthConsumer> logger) : StreamConsumerService(redis, options, time, logger)
{
    protected override string Stream => ProvisioningStreams.Health;

    protected override string WakeChannel => ProvisioningStreams.HealthWakeChannel;

    protected override string ActivityName => "check " + ProvisioningStreams.Health;

    protected override async Task HandleAsync(string environmentId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<HealthMonitor>().CheckAsync(environmentId, cancellationToken);
    }

    protected override Task GiveUpAsync(IDatabase db, string environmentId, RedisValue messageId, long attempts, Exception exception, CancellationToken cancellationToken)
    {
        LogDropped(Logger, environmentId, attempts);
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = WorkerEventIds.HealthCheckDropped, Level = LogLevel.Warning, Message = "Checking {EnvironmentId} failed {Attempts} times; dropped until the next sweep")]
    private static partial void LogDropped(ILogger logger, string environmentId, long attempts);
}
