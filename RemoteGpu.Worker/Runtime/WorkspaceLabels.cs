namespace RemoteGpu.Worker.Runtime;

/// <summary>
/// Names and labels that identify the platform's containers and volumes on an engine. The labels are the
/// contract with the reconciler's orphan sweep (DESIGN.md §5); the names make a duplicate impossible.
/// </summary>
internal static class WorkspaceLabels
{
    public const string Managed = "remotegpu.managed";

    /// <summary>
    /// Which platform installation owns the container (its database's <c>platform_instance</c> id).
    /// Several platforms — a test run beside a dev run, say — may share one engine; each only ever
    /// sweeps its own.
    /// </summary>
    public const string Platform = "remotegpu.platform";
    public const string EnvironmentId = "remotegpu.env-id";
    public const string Owner = "remotegpu.owner";
    public const string OwnerName = "remotegpu.owner-name";

    public static string ContainerName(string environmentId) => $"remotegpu-{environmentId}";

    public static string VolumeName(string environmentId) => $"remotegpu-{environmentId}-workspace";
}
