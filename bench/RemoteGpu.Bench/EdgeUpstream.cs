using System.Globalization;
using System.Net;
using System.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RemoteGpu.Bench;

/// <summary>
/// The one upstream every contender of the edge benchmark forwards to: a minimal Kestrel app (its own
/// process) answering <c>GET /jupyter/api/status</c> with a small JSON body shaped like Jupyter Server's.
/// Run by the benchmark as <c>RemoteGpu.Bench edge-upstream &lt;port&gt;</c>.
/// </summary>
internal static class EdgeUpstream
{
    public const string Command = "edge-upstream";
    public const string Path = "/jupyter/api/status";

    /// <summary>What Jupyter Server answers on <c>/api/status</c> (110–130 bytes), as <c>application/json</c>.</summary>
    public static ReadOnlyMemory<byte> Body { get; } =
        """{"started": "2026-11-22T16:00:00.000000Z", "last_activity": "2026-11-22T16:00:00.000000Z", "connections": 0, "kernels": 0}"""u8.ToArray();

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 1 || !int.TryParse(args[0], CultureInfo.InvariantCulture, out var port))
        {
            await Console.Error.WriteLineAsync($"usage: RemoteGpu.Bench {Command} <port>");
            return 2;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, port);
        });
        // One event loop, like Jupyter's tornado: with the benchmark's inline socket completions, requests run on
        // the socket thread that read them. Safe here: the handler never blocks.
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        await using var app = builder.Build();
        app.Run(context =>
        {
            if (!HttpMethods.IsGet(context.Request.Method) || context.Request.Path != Path)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = Body.Length;
            return context.Response.Body.WriteAsync(Body, context.RequestAborted).AsTask();
        });
        await app.StartAsync();
        Console.WriteLine($"upstream listening on 127.0.0.1:{port} (server GC: {GCSettings.IsServerGC})");
        await app.WaitForShutdownAsync();
        return 0;
    }
}
