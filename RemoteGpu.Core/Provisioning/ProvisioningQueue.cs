using System.Diagnostics;
using StackExchange.Redis;

namespace RemoteGpu.Core.Provisioning;

/// <summary>
/// Tells the workers that a row wants attention. Sent after the row is committed; if the send is
/// lost, the worker's reconciler finds the unconverged row anyway (DESIGN.md §5). The hint carries the
/// sender's trace context, so that the worker's handling continues the request's trace.
/// </summary>
public sealed class ProvisioningQueue(IConnectionMultiplexer redis)
{
    public async Task SendAsync(string environmentId, string reason)
    {
        var entry = new List<NameValueEntry>
        {
            new(ProvisioningStreams.EnvironmentIdField, environmentId),
            new(ProvisioningStreams.ReasonField, reason),
        };
        DistributedContextPropagator.Current.Inject(Activity.Current, entry,
            static (carrier, name, value) => ((List<NameValueEntry>)carrier!).Add(new NameValueEntry(name, value)));
        await redis.GetDatabase().StreamAddAsync(ProvisioningStreams.Provision, [.. entry]);
        await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(ProvisioningStreams.WakeChannel), environmentId);
    }

    /// <summary>The trace context a hint was sent with (W3C <c>traceparent</c>/<c>tracestate</c> fields), or default.</summary>
    public static ActivityContext TraceContextOf(StreamEntry entry)
    {
        DistributedContextPropagator.Current.ExtractTraceIdAndState(entry,
            static (carrier, name, out value, out values) =>
            {
                values = null;
                var field = ((StreamEntry)carrier!)[name];
                value = field.IsNull ? null : (string?)field;
            },
            out var traceParent, out var traceState);
        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
    }
}
