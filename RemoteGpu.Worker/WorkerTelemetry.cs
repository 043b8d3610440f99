using System.Diagnostics;

namespace RemoteGpu.Worker;

/// <summary>
/// The Worker's spans: handling a provisioning hint (a child of the request that sent it) and each call to the
/// container engine. Named after the application, which ServiceDefaults exports where a collector is given.
/// </summary>
internal static class WorkerTelemetry
{
    public static readonly ActivitySource Source = new("RemoteGpu.Worker");

    public const string EnvironmentIdTag = "remotegpu.environment.id";
}
