namespace RemoteGpu.Worker.Runtime;

/// <summary>
/// Runs workspace containers on one container engine (DESIGN.md §6); the Worker is its only user. Every
/// operation is idempotent — it converges on the requested state and reports what it observed — because the
/// provisioning stream delivers at least once (§5). Environments are found by their labels, never by a stored
/// container id alone, so a lost write never leaves an environment unreachable. Failures of the engine surface
/// as <see cref="WorkspaceRuntimeException"/>, never as the engine client's own exception types.
/// </summary>
internal interface IWorkspaceRuntime
{
    /// <summary>
    /// Creates the container and its <c>/workspace</c> volume, or returns the container that already exists for
    /// <see cref="WorkspaceSpec.EnvironmentId"/> unchanged. Nothing is left behind when creation fails.
    /// </summary>
    /// <exception cref="WorkspaceImageNotFoundException">The image is not present on the engine's host.</exception>
    public Task<WorkspaceInstance> EnsureCreatedAsync(WorkspaceSpec spec, CancellationToken cancellationToken);

    /// <summary>Starts the container unless it runs already; returns it with the ports published now.</summary>
    /// <exception cref="WorkspaceNotFoundException">No container exists for the environment.</exception>
    /// <exception cref="PortUnavailableException">
    /// The SSH host port is taken. The container is removed, since its port is fixed at creation; its volume is
    /// kept unless the container had never run. Call <see cref="EnsureCreatedAsync"/> with another port.
    /// </exception>
    public Task<WorkspaceInstance> StartAsync(string environmentId, CancellationToken cancellationToken);

    /// <summary>Stops the container if it runs; the volume keeps the user's files. No container: nothing to do.</summary>
    public Task StopAsync(string environmentId, CancellationToken cancellationToken);

    /// <summary>Removes the container and its <c>/workspace</c> volume, whatever their state; nothing there is fine.</summary>
    public Task RemoveAsync(string environmentId, CancellationToken cancellationToken);

    /// <summary>The environment's container as observed now, or null when there is none.</summary>
    public Task<WorkspaceInstance?> InspectAsync(string environmentId, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="command"/> (no shell) in the running container as its default user, with
    /// <paramref name="standardInput"/> written to it and then closed; secrets travel that way, never as arguments.
    /// </summary>
    public Task<ExecResult> ExecAsync(string environmentId, IReadOnlyList<string> command, string? standardInput, CancellationToken cancellationToken);

    /// <summary>Every container the platform manages on this engine, whatever its state (the reconciler's orphan sweep).</summary>
    public Task<IReadOnlyList<WorkspaceInstance>> ListManagedAsync(string platformId, CancellationToken cancellationToken);
}
