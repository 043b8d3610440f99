namespace RemoteGpu.Core.Environments;

/// <summary>What the owner wants. The worker converges the container to it.</summary>
public enum DesiredState
{
    Running,
    Stopped,
    Deleted,
}

/// <summary>
/// What was last observed (DESIGN.md §4): pending → provisioning → running ⇄ stopping → stopped,
/// any → deleting → deleted, any → failed.
/// </summary>
public enum EnvironmentStatus
{
    Pending,
    Provisioning,
    Running,
    Stopping,
    Stopped,
    Deleting,
    Deleted,
    Failed,
}
