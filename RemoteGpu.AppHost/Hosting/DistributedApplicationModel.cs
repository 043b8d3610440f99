namespace RemoteGpu.AppHost.Hosting;

/// <summary>The declared resources, in declaration order, and the order in which they start.</summary>
internal sealed class DistributedApplicationModel
{
    public DistributedApplicationModel(IReadOnlyList<Resource> resources)
    {
        Resources = resources;
        StartOrder = TopologicalOrder(resources);
    }

    public IReadOnlyList<Resource> Resources { get; }

    /// <summary>Every resource after everything it depends on; stopping goes the other way.</summary>
    public IReadOnlyList<Resource> StartOrder { get; }

    public Resource Find(string name) =>
        Resources.SingleOrDefault(resource => resource.Name == name)
        ?? throw new ArgumentException($"The application has no resource named '{name}'.", nameof(name));

    private static List<Resource> TopologicalOrder(IReadOnlyList<Resource> resources)
    {
        var ordered = new List<Resource>();
        var state = new Dictionary<Resource, bool>(); // false: being visited, true: done
        foreach (var resource in resources)
        {
            Visit(resource);
        }
        return ordered;

        void Visit(Resource resource)
        {
            if (state.TryGetValue(resource, out var done))
            {
                if (!done)
                {
                    throw new InvalidOperationException($"The resource '{resource.Name}' depends on itself through its references or WaitFor.");
                }
                return;
            }
            state[resource] = false;
            foreach (var dependency in resource.Dependencies.Cast<Resource>())
            {
                Visit(dependency);
            }
            state[resource] = true;
            ordered.Add(resource);
        }
    }
}
