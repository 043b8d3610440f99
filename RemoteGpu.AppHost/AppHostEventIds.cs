namespace RemoteGpu.AppHost;

/// <summary>Every log event id of the AppHost (3000–3999), in one place so none is used twice.</summary>
internal static class AppHostEventIds
{
    // Resources 3000–3099
    public const int ResourceStarting = 3000;
    public const int ResourceHealthy = 3001;
    public const int ResourceExited = 3002;
    public const int ResourceRestarting = 3003;
    public const int ResourceFailedToStart = 3004;
    public const int ResourceStopping = 3005;
    public const int ResourceKilled = 3006;
    public const int ApplicationReady = 3007;
    public const int ApplicationStopped = 3008;
    public const int ApplicationNotReady = 3009;

    // Containers 3100–3199
    public const int ContainerRuntimeUnavailable = 3100;
    public const int ContainerImageMissing = 3101;
    public const int OrphanContainerRemoved = 3102;

    // Postgres and Redis from the machine's binaries 3200–3299
    public const int PostgresInitialized = 3200;
    public const int DatabaseCreated = 3201;

    // Dashboard 3300–3399
    public const int DashboardListening = 3300;

    // Publishing 3400–3499
    public const int ManifestWritten = 3400;

    // Parameters 3500–3599
    public const int ParameterGenerated = 3500;
}
