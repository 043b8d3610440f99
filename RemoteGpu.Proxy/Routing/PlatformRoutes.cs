using RemoteGpu.Core.Options;
using Yarp.ReverseProxy.Configuration;

namespace RemoteGpu.Proxy.Routing;

/// <summary>
/// The platform's own host (<c>&lt;domain&gt;</c>, and <c>localhost</c> for local runs) goes to the Api,
/// found through service discovery as <c>http://api</c>. Environment hosts are added by the edge routing.
/// </summary>
internal static class PlatformRoutes
{
    public const string ApiClusterId = "api";

    public static InMemoryConfigProvider CreateProvider(PlatformOptions platform)
    {
        ArgumentNullException.ThrowIfNull(platform);

        var hosts = new[] { platform.BaseDomain, "localhost", "127.0.0.1" }.Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        var routes = new[]
        {
            new RouteConfig
            {
                RouteId = "platform",
                ClusterId = ApiClusterId,
                Match = new RouteMatch { Hosts = hosts, Path = "/{**catch-all}" },
            },
        };
        var clusters = new[]
        {
            new ClusterConfig
            {
                ClusterId = ApiClusterId,
                Destinations = new Dictionary<string, DestinationConfig>
                {
                    ["api"] = new() { Address = "http://api" },
                },
            },
        };
        return new InMemoryConfigProvider(routes, clusters);
    }
}
