namespace RemoteGpu.Worker.Runtime;

/// <summary>
/// A workspace container as the engine reports it. Ports and upstreams are those published now: null while the
/// container is not running (dynamic HTTP ports change on every start; record them after each start).
/// </summary>
internal sealed record WorkspaceInstance
{
    public required string EnvironmentId { get; init; }

    public required string ContainerId { get; init; }

    public required WorkspaceState State { get; init; }

    public int? SshPort { get; init; }

    /// <summary>Base address of the container's Jupyter server, e.g. <c>http://127.0.0.1:49153</c> (base URL /jupyter/ inside).</summary>
    public string? JupyterUpstream { get; init; }

    public string? CodeServerUpstream { get; init; }

    /// <summary>From the owner label; null when the label is missing or not a GUID.</summary>
    public Guid? OwnerId { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>The engine's container states.</summary>
internal enum WorkspaceState
{
    Unknown,
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
}
