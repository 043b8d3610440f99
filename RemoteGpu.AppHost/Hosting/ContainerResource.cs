namespace RemoteGpu.AppHost.Hosting;

/// <summary>
/// A backing service published as a container (<c>container.v0</c>). In run mode it runs as that container
/// when a Docker engine answers and has the image, and otherwise from the machine's own binaries.
/// </summary>
public abstract class ContainerResource : Resource, IResourceWithConnectionString
{
    private protected ContainerResource(string name, string image, ParameterResource password, int targetPort, string dataTarget)
        : base(name)
    {
        Image = image;
        PasswordParameter = password;
        PrimaryEndpoint = new ResourceEndpoint(this, "tcp", "tcp", targetPort);
        DataTarget = dataTarget;
    }

    /// <summary>Image reference without a registry host: the engine's configured registry, or a local image, decides.</summary>
    public string Image { get; }

    public ParameterResource PasswordParameter { get; }

    public ResourceEndpoint PrimaryEndpoint { get; }

    /// <summary>Where the image keeps its data; bind-mounted from the state folder in run mode.</summary>
    internal string DataTarget { get; }

    internal string? Entrypoint { get; init; }

    internal IReadOnlyList<string> Args { get; init; } = [];

    internal abstract IEnumerable<KeyValuePair<string, ReferenceExpression>> ContainerEnvironment { get; }

    public abstract ReferenceExpression ConnectionStringExpression { get; }

    public string ValueExpression => $"{{{Name}.connectionString}}";

    public string GetValue() => ConnectionStringExpression.GetValue();

    internal override IEnumerable<IResource> Dependencies => base.Dependencies.Append(PasswordParameter);

    private protected IValueProvider Host => PrimaryEndpoint.Property(EndpointProperty.Host);

    private protected IValueProvider Port => PrimaryEndpoint.Property(EndpointProperty.Port);
}
