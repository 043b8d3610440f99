using System.Collections.Frozen;
using System.Diagnostics;
using OpenTelemetry;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Keeps polls and probes out of the exported traces, so that the dashboard lists requests and jobs:
/// <list type="bullet">
/// <item>a database or Redis command that belongs to no request or job (a worker reads its stream every second);</item>
/// <item>a span under one left out (the queries of a health check, whose request is filtered out), and Redis's
/// <c>PING</c>, which only health checks send: the Redis instrumentation makes its spans after the fact, under the
/// left-out request's id, so they cannot be told by their parent.</item>
/// </list>
/// Each would otherwise be a trace of its own, burying every real one. Metrics still count them.
/// </summary>
internal sealed class TraceNoiseFilter : BaseProcessor<Activity>
{
    private const string RedisSource = "OpenTelemetry.Instrumentation.StackExchangeRedis";

    /// <summary>The instrumentations of Aspire's Npgsql and StackExchange.Redis client integrations.</summary>
    private static readonly FrozenSet<string> CommandSources = FrozenSet.Create(StringComparer.Ordinal, "Npgsql", RedisSource);

    public override void OnEnd(Activity data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var unparentedCommand = data.ParentSpanId == default && CommandSources.Contains(data.Source.Name);
        var healthPing = data.Source.Name == RedisSource && data.DisplayName == "PING";
        if (unparentedCommand || healthPing || data.Parent is { Recorded: false })
        {
            // Exporting processors skip what is not recorded.
            data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
    }
}
