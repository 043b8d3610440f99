using StackExchange.Redis;

namespace RemoteGpu.Core.Provisioning;

/// <summary>
/// Tells the workers that a row wants attention. Sent after the row is committed; if the send is
/// lost, the worker's reconciler finds the unconverged row anyway (DESIGN.md §5).
/// </summary>
public sealed class ProvisioningQueue(IConnectionMultiplexer redis)
{
    public async Task SendAsync(string environmentId, string reason)
    {
        await redis.GetDatabase().StreamAddAsync(ProvisioningStreams.Provision,
        [
            new NameValueEntry(ProvisioningStreams.EnvironmentIdField, environmentId),
            new NameValueEntry(ProvisioningStreams.ReasonField, reason),
        ]);
        await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(ProvisioningStreams.WakeChannel), environmentId);
    }
}
