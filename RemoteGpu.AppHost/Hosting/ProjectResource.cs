namespace RemoteGpu.AppHost.Hosting;

/// <summary>
/// A .NET project of this repository (Aspire's <c>ProjectResource</c>): started from its build output in run
/// mode, published as <c>project.v0</c>. It has an <c>http</c> endpoint, plus an <c>https</c> one in the manifest.
/// </summary>
public sealed class ProjectResource : Resource
{
    internal ProjectResource(string name, string projectPath)
        : base(name)
    {
        ProjectPath = projectPath;
        Endpoints = [new ResourceEndpoint(this, "http", "http"), new ResourceEndpoint(this, "https", "https", manifestOnly: true)];
    }

    /// <summary>Full path of the .csproj.</summary>
    public string ProjectPath { get; }

    public IReadOnlyList<ResourceEndpoint> Endpoints { get; }

    /// <summary>Environment from references and <c>WithEnvironment</c>, in declaration order.</summary>
    internal List<EnvironmentEntry> Environment { get; } = [];

    internal List<IResource> References { get; } = [];

    /// <summary>What Aspire sets on every project, in run mode and in the manifest.</summary>
    internal static IReadOnlyList<KeyValuePair<string, string>> OtelDefaults { get; } =
    [
        new("OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EXCEPTION_LOG_ATTRIBUTES", "true"),
        new("OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EVENT_LOG_ATTRIBUTES", "true"),
        new("OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY", "in_memory"),
    ];

    internal override IEnumerable<IResource> Dependencies => base.Dependencies.Concat(References);

    public ResourceEndpoint GetEndpoint(string name) =>
        Endpoints.SingleOrDefault(endpoint => endpoint.Name == name)
        ?? throw new ArgumentException($"The project '{Name}' has no endpoint named '{name}'.", nameof(name));
}

/// <summary>One environment variable of a project; <see cref="ManifestOnly"/> ones refer to deployment-only endpoints.</summary>
internal sealed record EnvironmentEntry(string Name, ReferenceExpression Value, bool ManifestOnly = false);

public static class ProjectResourceBuilderExtensions
{
    /// <summary>Adds a project; <paramref name="projectPath"/> is relative to the AppHost's project folder.</summary>
    public static IResourceBuilder<ProjectResource> AddProject(this DistributedApplicationBuilder builder, string name, string projectPath)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(projectPath);

        var fullPath = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, projectPath));
        if (!fullPath.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"'{projectPath}' is not a .csproj file.", nameof(projectPath));
        }
        return builder.AddResource(new ProjectResource(name, fullPath));
    }

    /// <summary>Injects <c>ConnectionStrings__&lt;name&gt;</c>.</summary>
    public static IResourceBuilder<ProjectResource> WithReference(
        this IResourceBuilder<ProjectResource> builder, IResourceBuilder<IResourceWithConnectionString> source)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(source);

        builder.Resource.References.Add(source.Resource);
        builder.Resource.Environment.Add(new($"ConnectionStrings__{source.Resource.Name}", ReferenceExpression.Create($"{source.Resource}")));
        return builder;
    }

    /// <summary>Injects <c>services__&lt;name&gt;__&lt;endpoint&gt;__0</c> for each HTTP endpoint (service discovery).</summary>
    public static IResourceBuilder<ProjectResource> WithReference(
        this IResourceBuilder<ProjectResource> builder, IResourceBuilder<ProjectResource> source)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(source);

        builder.Resource.References.Add(source.Resource);
        foreach (var endpoint in source.Resource.Endpoints)
        {
            builder.Resource.Environment.Add(new(
                $"services__{source.Resource.Name}__{endpoint.Name}__0",
                ReferenceExpression.Create($"{endpoint.Property(EndpointProperty.Url)}"),
                endpoint.IsManifestOnly));
        }
        return builder;
    }

    public static IResourceBuilder<ProjectResource> WithEnvironment(
        this IResourceBuilder<ProjectResource> builder, string name, IResourceBuilder<ParameterResource> parameter)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(parameter);

        builder.Resource.Environment.Add(new(name, ReferenceExpression.Create($"{parameter.Resource}")));
        return builder;
    }

    public static IResourceBuilder<ProjectResource> WithEndpoint(
        this IResourceBuilder<ProjectResource> builder, string endpointName, Action<ResourceEndpoint> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);

        configure(builder.Resource.GetEndpoint(endpointName));
        return builder;
    }

    /// <summary>Marks the HTTP endpoints as reachable from outside once deployed.</summary>
    public static IResourceBuilder<ProjectResource> WithExternalHttpEndpoints(this IResourceBuilder<ProjectResource> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        foreach (var endpoint in builder.Resource.Endpoints)
        {
            endpoint.IsExternal = true;
        }
        return builder;
    }
}

public static class ResourceBuilderExtensions
{
    /// <summary>Starts this resource only once <paramref name="dependency"/> is healthy.</summary>
    public static IResourceBuilder<T> WaitFor<T>(this IResourceBuilder<T> builder, IResourceBuilder<IResource> dependency)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dependency);

        builder.Resource.WaitsFor.Add(dependency.Resource);
        return builder;
    }
}
