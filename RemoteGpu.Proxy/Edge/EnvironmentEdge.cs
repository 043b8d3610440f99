using System.Net;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Identity;
using RemoteGpu.Core.Options;
using RemoteGpu.Proxy.Identity;
using RemoteGpu.Proxy.Routing;
using Yarp.ReverseProxy.Forwarder;

namespace RemoteGpu.Proxy.Edge;

/// <summary>
/// <c>env-&lt;id&gt;.&lt;domain&gt;</c>: one catch-all endpoint for every environment host (DESIGN.md §7). The host
/// is looked up in the <see cref="RouteTable"/> (O(1)), the caller authenticated and authorised, the
/// access audited once per session, and the request forwarded with <see cref="IHttpForwarder"/>:
/// <c>/jupyter/…</c> unchanged to Jupyter, <c>/code/…</c> without <c>/code</c> to code-server.
/// </summary>
internal sealed class EnvironmentEdge(
    RouteTable routes,
    TimeProvider time,
    EnvironmentSecrets secrets,
    EdgeAccessAudit audit,
    IHttpForwarder forwarder,
    EdgeHttpClient client,
    CachedCredentialStore credentials,
    EdgeActivity activity,
    IOptions<PlatformOptions> platform,
    ILogger<EnvironmentEdge> logger)
{
    public const string JupyterService = "jupyter";
    public const string CodeService = "code";

    private static readonly ForwarderRequestConfig RequestConfig = new() { ActivityTimeout = TimeSpan.FromMinutes(10) };

    private readonly PlatformOptions _platform = platform.Value;
    private readonly EdgeTransformer _codeTransformer = new("/code", jupyterToken: null, logger);

    /// <summary>
    /// A plain request delegate over singletons resolved once: the handler runs for every proxied request,
    /// so it binds no parameters and resolves nothing per request.
    /// </summary>
    public static IEndpointConventionBuilder MapEnvironmentEdge(IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var edge = endpoints.ServiceProvider.GetRequiredService<EnvironmentEdge>();
        return endpoints.Map("/{**path}", edge.HandleAsync).RequireHost($"*.{edge._platform.EnvironmentParent}").WithDisplayName("environment edge");
    }

    /// <summary>
    /// Keeps <see cref="WebApplication"/> from adding the authentication and authorization middleware it adds
    /// by itself wherever their services are registered. Here they would decide nothing: the edge
    /// authenticates an environment host's requests itself, the platform host's requests are the Api's to
    /// authenticate, and no endpoint carries authorization metadata. They would still cost every request a
    /// DI scope, a feature and an items dictionary (1.2 KB of the edge's 9 KB). The keys are the ones
    /// <c>UseAuthentication</c> and <c>UseAuthorization</c> set to say the middleware is placed.
    /// </summary>
    public static void WithoutPipelineAuthentication(IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Properties["__AuthenticationMiddlewareSet"] = true;
        app.Properties["__AuthorizationMiddlewareSet"] = true;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var host = context.Request.Host.Host;
        if (!routes.TryGet(host, out var route))
        {
            await NoSuchEnvironmentAsync(context, host);
            return;
        }

        var path = context.Request.Path;
        if (path.Equals(EnvironmentTicket.RedeemPath, StringComparison.Ordinal))
        {
            await EnvironmentSession.RedeemAsync(context, route.EnvironmentId);
            return;
        }
        if (path == "/" || !path.HasValue)
        {
            context.Response.Redirect("/jupyter/");
            return;
        }
        string service;
        if (path.StartsWithSegments("/jupyter", StringComparison.OrdinalIgnoreCase))
        {
            service = JupyterService;
        }
        else if (path.StartsWithSegments("/code", StringComparison.OrdinalIgnoreCase))
        {
            service = CodeService;
        }
        else
        {
            await EdgeResponses.WriteAsync(context, StatusCodes.Status404NotFound, "Not found",
                "Environments serve Jupyter under /jupyter/ and code-server under /code/.");
            return;
        }

        if (await EnvironmentSession.AuthenticateAsync(context, route.EnvironmentId, credentials, time) is not { } caller)
        {
            await ChallengeAsync(context, _platform, route.EnvironmentId);
            return;
        }
        context.User = caller.Principal;

        // Owner and live grants travel with the route: deciding costs no query.
        var granted = route.IsGranted(caller.UserId, time.GetUtcNow());
        if (EnvironmentAccess.Decide(caller.UserId, caller.IsAdmin, route.OwnerId, granted) == EnvironmentRight.None)
        {
            await EdgeResponses.WriteAsync(context, StatusCodes.Status403Forbidden, "Forbidden",
                $"You have no access to {route.EnvironmentId}.");
            return;
        }
        if (caller.ByCookie && CrossOrigin(context.Request) is { } origin)
        {
            ProxyLog.CrossOriginRefused(logger, context.Request.Method, route.EnvironmentId, origin);
            await EdgeResponses.WriteAsync(context, StatusCodes.Status403Forbidden, "Cross-origin request refused",
                "A WebSocket or a request that changes something is accepted with a browser's cookie only from this environment's own pages.");
            return;
        }

        if (route.Status != EnvironmentStatus.Running)
        {
            await EdgeResponses.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Environment not running",
                $"{route.EnvironmentId} is {route.Status.ToString().ToLowerInvariant()}.");
            return;
        }
        var upstream = service == JupyterService ? route.JupyterUpstream : route.CodeServerUpstream;
        if (upstream is null)
        {
            await EdgeResponses.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Service unavailable",
                $"{route.EnvironmentId} is running but its {service} service has no address yet.");
            return;
        }

        var cancellationToken = context.RequestAborted;
        await audit.RecordOnceAsync(context, caller, route.EnvironmentId, service, cancellationToken);
        activity.Record(route.EnvironmentId, context.Request);

        var transformer = service == JupyterService ? route.JupyterTransformer(secrets, logger) : _codeTransformer;
        var error = await forwarder.SendAsync(context, upstream, client.Invoker, RequestConfig, transformer, cancellationToken);
        if (error != ForwarderError.None)
        {
            ProxyLog.ForwardFailed(logger, route.EnvironmentId, service,
                context.GetForwarderErrorFeature()?.Exception?.Message ?? error.ToString());
        }
    }

    /// <summary>
    /// An environment host the route table does not know. To a caller who is not signed in it looks exactly as
    /// one they may not open (a challenge, then the hand-off's refusal), so that ids cannot be probed
    /// anonymously; a signed-in caller learns it does not exist.
    /// </summary>
    private async Task NoSuchEnvironmentAsync(HttpContext context, string host)
    {
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        var environmentId = dot > 0 ? host[..dot] : host;
        if (EnvironmentIds.IsValid(environmentId)
            && await EnvironmentSession.AuthenticateAsync(context, environmentId, credentials, time) is null)
        {
            await ChallengeAsync(context, _platform, environmentId);
            return;
        }
        await EdgeResponses.WriteAsync(context, StatusCodes.Status404NotFound, "No such environment", $"There is no environment at {host}.");
    }

    /// <summary>
    /// The origin that made a cookie-authenticated browser send a WebSocket upgrade or a request that changes
    /// something (anything but GET, HEAD, OPTIONS, TRACE), when it is not this environment host itself; null when
    /// it is, or for a safe request. A page of another site — another tenant's environment, under a real domain
    /// the same site as this one — could otherwise drive the user's Jupyter (cross-site WebSocket hijacking, CSRF).
    /// Without <c>Origin</c>, <c>Sec-Fetch-Site: same-origin</c> stands for it; with neither, the request is refused.
    /// </summary>
    internal static string? CrossOrigin(HttpRequest request)
    {
        var upgrade = request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase);
        if (!upgrade && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
            || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method)))
        {
            return null;
        }
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            var site = request.Headers["Sec-Fetch-Site"].ToString();
            return site == "same-origin" ? null : $"(no Origin; Sec-Fetch-Site: {(site.Length == 0 ? "none" : site)})";
        }
        var own = request.Host.Port ?? (request.IsHttps ? 443 : 80);
        return Uri.TryCreate(origin, UriKind.Absolute, out var from)
            && from.Scheme.Equals(request.Scheme, StringComparison.OrdinalIgnoreCase)
            && from.IdnHost.Equals(request.Host.Host, StringComparison.OrdinalIgnoreCase)
            && from.Port == own
            ? null
            : origin;
    }

    /// <summary>
    /// Anonymous: an API client gets 401; a browser goes through the platform host, which signs it in if
    /// need be and hands its session to this environment host (<see cref="EnvironmentSession"/>), then
    /// comes back to the same path.
    /// </summary>
    private static Task ChallengeAsync(HttpContext context, PlatformOptions platform, string environmentId)
    {
        if (!EdgeResponses.IsBrowser(context.Request))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return EdgeResponses.WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized",
                "Sign in, or send Authorization: Bearer with a personal API token.");
        }

        var request = context.Request;
        var original = $"{request.PathBase}{request.Path}{request.QueryString}";
        string scheme;
        int port;
        if (platform.EdgeUrl is { } edgeUrl)
        {
            var edge = new Uri(edgeUrl);
            scheme = edge.Scheme;
            port = edge.IsDefaultPort ? -1 : edge.Port;
        }
        else
        {
            scheme = request.Scheme;
            port = request.Host.Port ?? -1;
        }
        var handOff = new UriBuilder(scheme, platform.BaseDomain, port, EnvironmentTicket.HandOffPath)
        {
            Query = $"environment={environmentId}&return_url={WebUtility.UrlEncode(original)}",
        };
        context.Response.Redirect(handOff.Uri.AbsoluteUri);
        return Task.CompletedTask;
    }
}
