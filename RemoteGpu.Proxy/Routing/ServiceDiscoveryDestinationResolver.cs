using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.ServiceDiscovery;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace RemoteGpu.Proxy.Routing;

/// <summary>
/// Resolves YARP destinations such as <c>http://api</c> through Microsoft.Extensions.ServiceDiscovery
/// (<c>services__api__http__0</c> from the AppHost). This is what Microsoft.Extensions.ServiceDiscovery.Yarp
/// does; that package is not served by the feed our build machines reach.
/// </summary>
internal sealed class ServiceDiscoveryDestinationResolver(ServiceEndpointResolver resolver) : IDestinationResolver
{
    public async ValueTask<ResolvedDestinationCollection> ResolveDestinationsAsync(
        IReadOnlyDictionary<string, DestinationConfig> destinations,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destinations);

        var resolved = new Dictionary<string, DestinationConfig>();
        var changeTokens = new List<IChangeToken>();
        foreach (var (name, destination) in destinations)
        {
            var original = new Uri(destination.Address);
            var source = await resolver.GetEndpointsAsync(original.GetLeftPart(UriPartial.Authority), cancellationToken);
            changeTokens.Add(source.ChangeToken);

            var index = 0;
            foreach (var endpoint in source.Endpoints)
            {
                var address = endpoint.ToString()!;
                var uri = address.Contains("://", StringComparison.Ordinal)
                    ? new Uri(address)
                    : new Uri($"{original.Scheme}://{address}");
                var withPath = new UriBuilder(uri) { Path = original.AbsolutePath }.Uri;
                resolved[$"{name}[{index++}]"] = destination with { Address = withPath.ToString(), Host = destination.Host };
            }
        }

        return new ResolvedDestinationCollection(resolved, new CompositeChangeToken(changeTokens));
    }
}
