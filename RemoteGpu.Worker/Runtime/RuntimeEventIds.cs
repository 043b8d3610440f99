namespace RemoteGpu.Worker.Runtime;

/// <summary>Log event ids of the workspace runtime (Worker 4100–4199); to be folded into CoreEventIds.</summary>
internal static class RuntimeEventIds
{
    public const int WorkspaceCreated = 4100;
    public const int WorkspaceStarted = 4101;
    public const int WorkspaceStopped = 4102;
    public const int WorkspaceRemoved = 4103;
    public const int CreateRolledBack = 4104;
    public const int RollbackFailed = 4105;
    public const int PortUnavailable = 4106;
    public const int CommandExecuted = 4107;
    public const int NetworkCreated = 4108;
}
