using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using RemoteGpu.Core.Identity;
using RemoteGpu.Proxy.Identity;
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
    /// Who the caller is on this environment host: an API token or the platform session as everywhere,
    /// otherwise the environment cookie, and that only when it was issued for this very environment.
    /// <c>null</c>: nobody, or a session that must enrol in two-factor authentication first; either is challenged.
    /// </summary>
    public static async ValueTask<EdgeCaller?> AuthenticateAsync(
        HttpContext context, string environmentId, CachedCredentialStore credentials, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(credentials);
        // A bearer token speaks for itself: when it fails, no cookie stands in for it. It is checked without the
        // authentication service, whose request scope, handler instance, ticket and result would be most of what
        // a proxied request allocates, and its user's principal is built once per cached user.
        var bearer = await ApiTokenAuthenticationHandler.CheckAsync(
            context.Request.Headers.Authorization.ToString(), credentials, time, context.RequestAborted);
        if (!bearer.IsNone)
        {
            return bearer is { User: { } user, Token: { } token }
                ? new EdgeCaller(credentials.TokenPrincipal(user), user.Id, user.Role == Roles.Admin, token.TokenHash, ByCookie: false)
                : null;
        }
        var platform = await context.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        if (platform.Succeeded)
        {
            return FromCookie(platform.Principal, context.Request.Cookies[PlatformAuthentication.CookieName]);
        }
        var environment = await context.AuthenticateAsync(PlatformAuthentication.EnvironmentScheme);
        return environment.Succeeded && environment.Principal.HasClaim(PlatformAuthentication.EnvironmentClaim, environmentId)
            ? FromCookie(environment.Principal, context.Request.Cookies[PlatformAuthentication.EnvironmentCookieName])
            : null;
    }

    private static EdgeCaller? FromCookie(ClaimsPrincipal principal, string? cookie) =>
        principal.HasClaim(c => c.Type == PlatformClaims.TwoFactorEnrolmentRequired)
            ? null
            : new EdgeCaller(principal, principal.UserId(), principal.IsInRole(Roles.Admin),
                Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(cookie ?? string.Empty))), ByCookie: true);

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
