using System.Diagnostics;
using System.Net;
using Yarp.ReverseProxy.Forwarder;

namespace RemoteGpu.Proxy.Edge;

/// <summary>
/// The one <see cref="HttpMessageInvoker"/> every forwarded request shares, tuned for a proxy as YARP
/// recommends: no proxy, no cookies, no redirects, no decompression, pooled connections.
/// </summary>
internal sealed class EdgeHttpClient : IDisposable
{
    public EdgeHttpClient()
    {
        Invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(15),
            ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
        });
    }

    public HttpMessageInvoker Invoker { get; }

    public void Dispose() => Invoker.Dispose();
}
