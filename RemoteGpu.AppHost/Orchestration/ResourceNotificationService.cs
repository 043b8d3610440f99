
namespace RemoteGpu.AppHost.Orchestration;

/// <summary>
/// The current state of every resource, and waiting for a state (Aspire's <c>ResourceNotificationService</c>).
/// </summary>
public sealed class ResourceNotificationService
{
    private readonly Lock _lock = new();
    private readonly List<string> _order = [];
    private readonly Dictionary<string, ResourceSnapshot> _snapshots = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<ResourceSnapshot> GetSnapshots()
    {
        lock (_lock)
        {
            return [.. _order.Select(name => _snapshots[name])];
        }
    }

    public ResourceSnapshot GetSnapshot(string resourceName)
    {
        lock (_lock)
        {
            return _snapshots.TryGetValue(resourceName, out var snapshot)
                ? snapshot
                : throw new ArgumentException($"The application has no resource named '{resourceName}'.", nameof(resourceName));
        }
    }

    /// <summary>Waits until the resource runs and its health check passes; throws if it failed to start.</summary>
    public Task<ResourceSnapshot> WaitForResourceHealthyAsync(string resourceName, CancellationToken cancellationToken = default) =>
        WaitForResourceAsync(resourceName, snapshot => snapshot.IsHealthy, cancellationToken);

    public async Task<ResourceSnapshot> WaitForResourceAsync(
        string resourceName, Func<ResourceSnapshot, bool> predicate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        while (true)
        {
            Task changed;
            ResourceSnapshot snapshot;
            lock (_lock)
            {
                changed = _changed.Task;
                snapshot = GetSnapshot(resourceName);
            }
            if (predicate(snapshot))
            {
                return snapshot;
            }
            if (snapshot.State == KnownResourceStates.FailedToStart)
            {
                throw new DistributedApplicationException($"The resource '{resourceName}' failed to start: {snapshot.Reason}");
            }
            await changed.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Adds a resource; the dashboard lists resources in the order they were added.</summary>
    internal void Add(ResourceSnapshot snapshot) => Change(snapshot.Name, _ => snapshot);

    internal void Update(string resourceName, Func<ResourceSnapshot, ResourceSnapshot> update) =>
        Change(resourceName, current => update(current ?? throw new ArgumentException($"No resource named '{resourceName}'.", nameof(resourceName))));

    private void Change(string resourceName, Func<ResourceSnapshot?, ResourceSnapshot> change)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            var exists = _snapshots.TryGetValue(resourceName, out var current);
            var changedTo = change(current);
            if (changedTo == current)
            {
                return;
            }
            _snapshots[resourceName] = changedTo;
            if (!exists)
            {
                _order.Add(resourceName);
            }
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.SetResult();
    }
}
