using System.Text.RegularExpressions;

namespace RemoteGpu.AppHost.Hosting;

/// <summary>A named part of the distributed application (Aspire's <c>IResource</c>).</summary>
public interface IResource
{
    public string Name { get; }
}

/// <summary>
/// A resource that others reach through a connection string: referenced with <c>WithReference</c>, it
/// becomes <c>ConnectionStrings__&lt;name&gt;</c>; in the manifest it reads <c>{name.connectionString}</c>.
/// </summary>
public interface IResourceWithConnectionString : IResource, IValueProvider
{
    public ReferenceExpression ConnectionStringExpression { get; }
}

/// <summary>A resource being declared (Aspire's <c>IResourceBuilder&lt;T&gt;</c>).</summary>
public interface IResourceBuilder<out T>
    where T : IResource
{
    public DistributedApplicationBuilder ApplicationBuilder { get; }

    public T Resource { get; }
}

/// <summary>What every resource of ours has: a DNS-safe name and the resources it waits for.</summary>
public abstract partial class Resource : IResource
{
    protected Resource(string name)
    {
        if (!ValidName().IsMatch(name ?? string.Empty))
        {
            throw new ArgumentException(
                $"Resource name '{name}' is invalid: use lower-case letters, digits and '-', starting with a letter (at most 64 characters).",
                nameof(name));
        }
        Name = name!;
    }

    public string Name { get; }

    /// <summary>Resources that must be healthy before this one starts (<c>WaitFor</c>).</summary>
    internal List<IResource> WaitsFor { get; } = [];

    /// <summary>Resources that must be healthy before this one starts: what it waits for, and a database's server.</summary>
    internal virtual IEnumerable<IResource> StartsAfter => WaitsFor;

    /// <summary>Every resource this one needs, including what it references. Orders start and stop.</summary>
    internal virtual IEnumerable<IResource> Dependencies => StartsAfter;

    public override string ToString() => Name;

    [GeneratedRegex("^[a-z][a-z0-9-]{0,63}$")]
    private static partial Regex ValidName();
}

internal sealed class ResourceBuilder<T>(DistributedApplicationBuilder applicationBuilder, T resource) : IResourceBuilder<T>
    where T : IResource
{
    public DistributedApplicationBuilder ApplicationBuilder { get; } = applicationBuilder;

    public T Resource { get; } = resource;
}
