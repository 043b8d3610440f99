using System.Globalization;

namespace RemoteGpu.AppHost.Hosting;

public enum EndpointProperty
{
    Url,
    Host,
    Port,
    TargetPort,
}

/// <summary>
/// A network endpoint of a resource (Aspire's <c>EndpointAnnotation</c>): a binding in the manifest, and in run
/// mode a port on 127.0.0.1 — fixed when <see cref="Port"/> is set, otherwise a free one picked at start.
/// </summary>
public sealed class ResourceEndpoint
{
    internal const string LoopbackHost = "127.0.0.1";

    internal ResourceEndpoint(IResource resource, string name, string scheme, int? targetPort = null, bool manifestOnly = false)
    {
        Resource = resource;
        Name = name;
        Scheme = scheme;
        TargetPort = targetPort;
        IsManifestOnly = manifestOnly;
    }

    public IResource Resource { get; }

    public string Name { get; }

    /// <summary><c>http</c>, <c>https</c> or <c>tcp</c>.</summary>
    public string Scheme { get; }

    /// <summary>The port the workload listens on inside its container (Postgres 5432, Redis 6379).</summary>
    public int? TargetPort { get; }

    /// <summary>The host port in run mode; <c>null</c> or 0 picks a free loopback port.</summary>
    public int? Port { get; set; }

    /// <summary>Reachable from outside the application once deployed (<c>external: true</c> in the manifest).</summary>
    public bool IsExternal { get; set; }

    /// <summary>Declared for deployment only (a project's https binding: the platform terminates TLS).</summary>
    internal bool IsManifestOnly { get; }

    internal int? AllocatedPort { get; set; }

    /// <summary>The URL in run mode, e.g. <c>http://127.0.0.1:5080</c>.</summary>
    public Uri Url => new($"{Scheme}://{LoopbackHost}:{RequireAllocatedPort().ToString(CultureInfo.InvariantCulture)}");

    public IValueProvider Property(EndpointProperty property) => new EndpointValue(this, property);

    internal int RequireAllocatedPort() =>
        AllocatedPort ?? throw new InvalidOperationException(
            $"The endpoint '{Name}' of '{Resource.Name}' has no port yet: values are available once the application has started.");

    private sealed class EndpointValue(ResourceEndpoint endpoint, EndpointProperty property) : IValueProvider
    {
        public string ValueExpression => property switch
        {
            EndpointProperty.Url => Binding("url"),
            EndpointProperty.Host => Binding("host"),
            EndpointProperty.Port => Binding("port"),
            EndpointProperty.TargetPort => Binding("targetPort"),
            _ => throw new ArgumentOutOfRangeException(nameof(property)),
        };

        public string GetValue() => property switch
        {
            EndpointProperty.Url => endpoint.Url.GetLeftPart(UriPartial.Authority),
            EndpointProperty.Host => LoopbackHost,
            EndpointProperty.Port or EndpointProperty.TargetPort => endpoint.RequireAllocatedPort().ToString(CultureInfo.InvariantCulture),
            _ => throw new ArgumentOutOfRangeException(nameof(property)),
        };

        private string Binding(string name) => $"{{{endpoint.Resource.Name}.bindings.{endpoint.Name}.{name}}}";
    }
}
