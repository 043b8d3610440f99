using System.Diagnostics;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace RemoteGpu.Core.Provisioning;

/// <summary>
/// Tells the workers that a row wants attention. Sent after the row is committed; if the send is
/// lost, the worker's reconciler finds the unconverged row anyway (DESIGN.md §5). The hint carries the
/// sender's trace context, so that the worker's handling continues the request's trace. So a send that
/// fails because Redis is away does not fail the change it follows: it is logged, and the reconciler sends it.
/// </summary>
public sealed partial class ProvisioningQueue(IConnectionMultiplexer redis, ILogger<ProvisioningQueue> logger)
{
    public async Task SendAsync(string environmentId, string reason)
    {
        try
        {
            await SendOrThrowAsync(environmentId, reason);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException)
        {
            LogNotSent(logger, environmentId, reason, ex.GetType().Name);
        }
    }

    private async Task SendOrThrowAsync(string environmentId, string reason)
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

    [LoggerMessage(EventId = CoreEventIds.HintNotSent, Level = LogLevel.Warning,
        Message = "The {Reason} hint for {EnvironmentId} was not sent ({Exception}); the reconciler sends it")]
    private static partial void LogNotSent(ILogger logger, string environmentId, string reason, string exception);
}
