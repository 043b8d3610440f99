using System.Collections.Frozen;
using System.Globalization;
using System.Net;
using System.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace RemoteGpu.Bench;

/// <summary>
/// The edge benchmark's reference: what the edge is without auth, lookup in Postgres and audit — one
/// catch-all endpoint, a host → destination dictionary and <see cref="IHttpForwarder"/> with a tuned
/// <see cref="SocketsHttpHandler"/>, in its own process (so it shares no GC or thread pool with the
/// benchmark). Run as <c>RemoteGpu.Bench edge-yarp &lt;port&gt; &lt;routes file&gt;</c>; the file has one
/// <c>host destination</c> per line.
/// </summary>
internal static class EdgeBareYarp
{
    public const string Command = "edge-yarp";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 2 || !int.TryParse(args[0], CultureInfo.InvariantCulture, out var port))
        {
            await Console.Error.WriteLineAsync($"usage: RemoteGpu.Bench {Command} <port> <routes file>");
            return 2;
        }
        var routes = (await File.ReadAllLinesAsync(args[1]))
            .Select(line => line.Split(' ', 2, StringSplitOptions.TrimEntries))
            .ToFrozenDictionary(parts => parts[0], parts => parts[1], StringComparer.OrdinalIgnoreCase);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddHttpForwarder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        await using var app = builder.Build();

        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        // YARP's recommendations for a forwarder's client; no activity propagation: the bare proxy traces nothing.
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = null,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(15),
        });
        var transformer = new ForwardedHeadersTransformer();

        app.Map("/{**path}", async context =>
        {
            if (!routes.TryGetValue(context.Request.Host.Host, out var destination))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            await forwarder.SendAsync(context, destination, invoker, ForwarderRequestConfig.Empty, transformer, context.RequestAborted);
        });
        await app.StartAsync();
        Console.WriteLine($"bare YARP listening on 127.0.0.1:{port}, {routes.Count} route(s) (server GC: {GCSettings.IsServerGC})");
        await app.WaitForShutdownAsync();
        return 0;
    }

    /// <summary>The X-Forwarded-* headers the edge, nginx and configurable-http-proxy send too; nothing else.</summary>
    private sealed class ForwardedHeadersTransformer : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(
            HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            if (httpContext.Connection.RemoteIpAddress is { } address)
            {
                proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", address.ToString());
            }
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", httpContext.Request.Scheme);
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Host", httpContext.Request.Host.Value);
        }
    }
}
