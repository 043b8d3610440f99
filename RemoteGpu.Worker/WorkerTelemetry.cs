using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace RemoteGpu.Worker;

/// <summary>
/// The Worker's spans (handling a stream entry, a child of the request that sent it, and each call to the container
/// engine) and metrics (health). Named after the application, which ServiceDefaults exports where a collector is given.
/// </summary>
internal static class WorkerTelemetry
{
    public static readonly ActivitySource Source = new("RemoteGpu.Worker");

    public static readonly Meter Meter = new("RemoteGpu.Worker");

    public const string EnvironmentIdTag = "remotegpu.environment.id";

    /// <summary>One probe of one environment, by <c>check</c> and whether it <c>passed</c>.</summary>
    public static readonly Histogram<double> HealthProbeDuration =
        Meter.CreateHistogram<double>("remotegpu.health.probe.duration", "s", "How long one health probe took.");

    /// <summary>A check changed state, by <c>check</c> and the state it went <c>to</c>.</summary>
    public static readonly Counter<long> HealthChanges =
        Meter.CreateCounter<long>("remotegpu.health.changes", description: "Health checks that changed state.");

    /// <summary>A repair was tried, by <c>check</c> and <c>action</c> (restart_service, restart_container, recreate_container, give_up).</summary>
    public static readonly Counter<long> HealthRepairs =
        Meter.CreateCounter<long>("remotegpu.health.repairs", description: "Repairs of unhealthy environments.");

    /// <summary>Environments a health sweep enqueued.</summary>
    public static readonly Counter<long> HealthSweepSize =
        Meter.CreateCounter<long>("remotegpu.health.enqueued", description: "Health checks enqueued by the scheduler.");
}
