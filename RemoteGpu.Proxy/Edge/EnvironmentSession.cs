using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using RemoteGpu.Core.Identity;
using StackExchange.Redis;

namespace RemoteGpu.Proxy.Edge;

/// <summary>
/// The edge's half of the hand-off to an environment host (<see cref="EnvironmentTicket"/>, after Coder):
/// <c>GET /.remotegpu/session?ticket=…&amp;return_url=…</c> on <c>env-&lt;id&gt;.&lt;domain&gt;</c> redeems the
/// one-time ticket the Api minted and signs the browser in with a host-only cookie for that environment
/// alone (<see cref="PlatformAuthentication.EnvironmentScheme"/>). This path is answered here, never
/// forwarded, so the ticket never reaches the workspace.
/// </summary>
internal static class EnvironmentSession
{
    /// <summary>
    /// Who the caller is on this environment host: the platform session or an API token as everywhere,
    /// otherwise the environment cookie — and that only when it was issued for this very environment.
    /// </summary>
    public static async Task<AuthenticateResult> AuthenticateAsync(
        HttpContext context, string environmentId, ICredentialStore store, TimeProvider time, Func<UserCredentialState, ClaimsPrincipal> tokenPrincipal)
    {
        ArgumentNullException.ThrowIfNull(context);
        // A bearer token speaks for itself: when it fails, no cookie stands in for it. It is checked without the
        // authentication service, whose request scope and handler instance would be most of what a proxied
        // request allocates; without one (no result), the session cookie is the platform scheme's handler.
        var bearer = await ApiTokenAuthenticationHandler.AuthenticateAsync(
            context.Request.Headers.Authorization.ToString(), store, time, context.RequestAborted, tokenPrincipal);
        if (!bearer.None)
        {
            return bearer;
        }
        var platform = await context.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        if (platform.Succeeded)
        {
            return platform;
        }
        var environment = await context.AuthenticateAsync(PlatformAuthentication.EnvironmentScheme);
        if (!environment.Succeeded)
        {
            return platform;
        }
        return environment.Principal.HasClaim(PlatformAuthentication.EnvironmentClaim, environmentId)
            ? environment
            : AuthenticateResult.Fail("The environment session belongs to another environment.");
    }

    /// <summary>
    /// Redeems the ticket (once: GETDEL) if it was minted for this environment, signs the browser in on this
    /// host, and sends it on to the return path (a local path only; <c>/jupyter/</c> by default). A bad,
    /// expired, used or misdirected ticket gets a 400 page with a link to start again.
    /// </summary>
    public static async Task RedeemAsync(HttpContext context, string environmentId)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        var returnUrl = request.Query["return_url"].ToString();
        var returnPath = EnvironmentTicket.ReturnPath(returnUrl);
        if (!HttpMethods.IsGet(request.Method))
        {
            context.Response.Headers.Allow = "GET";
            await EdgeResponses.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, "Method not allowed", "Open this link with GET.");
            return;
        }

        var redis = context.RequestServices.GetRequiredService<IConnectionMultiplexer>();
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(EnvironmentSession));
        var ticket = await EnvironmentTicket.RedeemAsync(redis.GetDatabase(), request.Query["ticket"].ToString());
        if (ticket is null || ticket.EnvironmentId != environmentId)
        {
            // A ticket for another environment is spent all the same: it was shown to the wrong host.
            ProxyLog.HandOffRefused(logger, environmentId, ticket is null ? "unknown, expired or already used" : "issued for another environment");
            await WriteRefusalAsync(context, returnPath);
            return;
        }

        await context.SignInAsync(PlatformAuthentication.EnvironmentScheme, ticket.ToPrincipal());
        ProxyLog.HandOffSignedIn(logger, ticket.UserId, environmentId);
        context.Response.Redirect(returnPath);
    }

    private static Task WriteRefusalAsync(HttpContext context, string returnPath)
    {
        const string title = "This sign-in link cannot be used";
        const string detail = "It is invalid, has expired (links last a minute) or was already used.";
        if (!EdgeResponses.IsBrowser(context.Request))
        {
            return EdgeResponses.WriteAsync(context, StatusCodes.Status400BadRequest, title, detail);
        }
        var html = $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>400 {title}</title></head>
            <body><h1>{title}</h1><p>{detail}</p>
            <p><a href="{WebUtility.HtmlEncode(returnPath)}">Start again</a></p></body></html>
            """;
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(html, context.RequestAborted);
    }
}
