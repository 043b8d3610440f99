using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Options;

namespace RemoteGpu.Proxy.Routing;

/// <summary>
/// Host → route for every environment that is not deleted. Lookups are lock-free and O(1); one
/// environment's change replaces one entry. Only <see cref="RouteTableLoader"/> writes, from one loop,
/// so a full reload and a single-host update never interleave.
/// </summary>
internal sealed class RouteTable(IOptions<PlatformOptions> platform)
{
    private readonly ConcurrentDictionary<string, EnvironmentRoute> _routes = new(StringComparer.OrdinalIgnoreCase);
    private readonly PlatformOptions _platform = platform.Value;
    private volatile bool _loaded;

    public int Count => _routes.Count;

    /// <summary>Whether a full load has completed since the process started.</summary>
    public bool Loaded => _loaded;

    public bool TryGet(string host, out EnvironmentRoute route) => _routes.TryGetValue(host, out route!);

    /// <summary>The environment whose row changed: its new route, or <c>null</c> when it is gone or deleted.</summary>
    public void Apply(string environmentId, EnvironmentRoute? route)
    {
        var host = _platform.EnvironmentHost(environmentId);
        if (route is null)
        {
            _routes.TryRemove(host, out _);
        }
        else
        {
            _routes[host] = route;
        }
    }

    /// <summary>A full load: every route in it set, every host not in it removed.</summary>
    public void ReplaceAll(IReadOnlyCollection<EnvironmentRoute> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var hosts = new HashSet<string>(routes.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var route in routes)
        {
            var host = _platform.EnvironmentHost(route.EnvironmentId);
            hosts.Add(host);
            _routes[host] = route;
        }
        foreach (var host in _routes.Keys)
        {
            if (!hosts.Contains(host))
            {
                _routes.TryRemove(host, out _);
            }
        }
        _loaded = true;
    }
}
