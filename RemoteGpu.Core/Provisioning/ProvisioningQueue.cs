using RemoteGpu.Core.Provisioning;
using StackExchange.Redis;

namespace RemoteGpu.Api.Environments;

/// <summary>
/// Tells the workers that a row wants attention. Sent after the row is committed; if the send is
/// lost, the worker's reconciler finds the unconverged row anyway (DESIGN.md §5).
/// </summary>
internal sealed class ProvisioningQueue(IConnectionMultiplexer redis)
{
    public Task SendAsync(string environmentId, string reason) =>
        redis.GetDatabase().StreamAddAsync(ProvisioningStreams.Provision,
        [
            new NameValueEntry(ProvisioningStreams.EnvironmentIdField, environmentId),
            new NameValueEntry(ProvisioningStreams.ReasonField, reason),
        ]);
}
