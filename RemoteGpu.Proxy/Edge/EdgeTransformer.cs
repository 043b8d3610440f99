using System.Net;
using System.Text;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using RemoteGpu.Core.Identity;
using Yarp.ReverseProxy.Forwarder;

namespace RemoteGpu.Proxy.Edge;

/// <summary>
/// Shapes one forwarded request: the caller's platform credentials (Authorization, the session cookies)
/// never reach the workspace; Jupyter gets its token from the edge; the upstream learns the original
/// client, scheme, host and prefix through X-Forwarded-*. On the way back, a workspace cannot set the
/// platform's cookies or any cookie beyond its own host, a header that would echo the injected token is
/// dropped, and text pages are streamed without it (downloads pass untouched).
/// </summary>
internal sealed class EdgeTransformer(string pathPrefixToStrip, string? jupyterToken, ILogger logger) : HttpTransformer
{
    /// <summary>Every cookie of the platform's is named so (the session, environment and antiforgery cookies).</summary>
    private const string PlatformCookiePrefix = "remotegpu_";

    private static readonly string PlatformCookie = PlatformAuthentication.CookieName + "=";
    private static readonly string EnvironmentCookie = PlatformAuthentication.EnvironmentCookieName + "=";
    private static readonly string[] ForwardedHeaders = ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix", "Forwarded"];

    private readonly byte[] _jupyterTokenBytes = jupyterToken is null ? [] : Encoding.ASCII.GetBytes(jupyterToken);
    private readonly string? _jupyterAuthorization = jupyterToken is null ? null : "token " + jupyterToken;

    public override async ValueTask TransformRequestAsync(
        HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(proxyRequest);
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);

        var request = httpContext.Request;
        proxyRequest.Headers.Remove(HeaderNames.Authorization);
        proxyRequest.Headers.Remove(HeaderNames.Cookie);
        if (WorkspaceCookies(request.Headers.Cookie) is { Length: > 0 } cookies)
        {
            proxyRequest.Headers.TryAddWithoutValidation(HeaderNames.Cookie, cookies);
        }
        if (_jupyterAuthorization is not null)
        {
            proxyRequest.Headers.TryAddWithoutValidation(HeaderNames.Authorization, _jupyterAuthorization);
            // Bodies are scanned for the token on the way back, so they must come uncompressed.
            proxyRequest.Headers.Remove(HeaderNames.AcceptEncoding);
        }

        foreach (var name in ForwardedHeaders)
        {
            proxyRequest.Headers.Remove(name);
        }
        if (httpContext.Connection.RemoteIpAddress is { } address)
        {
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", address.ToString());
        }
        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);
        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Host", request.Host.Value);
        if (pathPrefixToStrip.Length > 0)
        {
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Prefix", pathPrefixToStrip);
        }

        var path = pathPrefixToStrip.Length > 0 && request.Path.StartsWithSegments(pathPrefixToStrip, StringComparison.OrdinalIgnoreCase, out var rest)
            ? (rest.HasValue ? rest : new PathString("/"))
            : request.Path;
        proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, path, request.QueryString);
    }

    public override async ValueTask<bool> TransformResponseAsync(
        HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var proxied = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (!proxied)
        {
            return false;
        }
        DropForeignCookies(httpContext);
        if (jupyterToken is null)
        {
            return true;
        }

        List<string>? echoing = null;
        foreach (var header in httpContext.Response.Headers)
        {
            foreach (var value in header.Value)
            {
                if (value is not null && value.Contains(jupyterToken, StringComparison.Ordinal))
                {
                    (echoing ??= []).Add(header.Key);
                    break;
                }
            }
        }
        foreach (var name in echoing ?? [])
        {
            httpContext.Response.Headers.Remove(name);
        }

        // Jupyter writes the token it was authenticated with into its pages' config; the browser needs no
        // token (the edge adds it to every request), so text bodies are sent without it — streamed, never held
        // whole. A download (/files/) is the user's own bytes and passes untouched.
        if (proxyResponse?.Content is not { } content
            || !IsText(content.Headers.ContentType?.MediaType)
            || IsDownload(httpContext.Request.Path)
            || HttpMethods.IsHead(httpContext.Request.Method)
            || proxyResponse.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotModified or HttpStatusCode.SwitchingProtocols)
        {
            return true;
        }
        httpContext.Response.ContentLength = null; // the token's removal shortens it
        await using var body = await content.ReadAsStreamAsync(cancellationToken);
        await StreamRedaction.CopyWithoutAsync(body, httpContext.Response.Body, _jupyterTokenBytes, cancellationToken);
        return false;
    }

    /// <summary>
    /// Drops a <c>Set-Cookie</c> that names one of the platform's cookies or carries a <c>Domain</c> other than the
    /// environment's own host: on a real domain every <c>env-*</c> host and the platform are one site, and a workspace
    /// could otherwise fix or shadow other users' sessions (cookie tossing). A workspace's own host-only cookies pass;
    /// one whose <c>Domain</c> is exactly its own host (code-server sets that on a real domain) passes host-only.
    /// </summary>
    private void DropForeignCookies(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var cookies = response.Headers.SetCookie;
        if (cookies.Count == 0)
        {
            return;
        }
        var host = httpContext.Request.Host.Host;
        var kept = new List<string>(cookies.Count);
        var changed = false;
        foreach (var cookie in cookies)
        {
            var parsed = SetCookieHeaderValue.TryParse(cookie, out var value) ? value : null;
            if (parsed is null || parsed.Name.StartsWith(PlatformCookiePrefix, StringComparison.OrdinalIgnoreCase))
            {
                ProxyLog.CookieDropped(logger, parsed?.Name.Value ?? "(unreadable)");
                changed = true;
            }
            else if (!parsed.Domain.HasValue)
            {
                kept.Add(cookie!);
            }
            else if (parsed.Domain.AsSpan().TrimStart('.').Equals(host, StringComparison.OrdinalIgnoreCase))
            {
                parsed.Domain = null;
                kept.Add(parsed.ToString());
                changed = true;
            }
            else
            {
                ProxyLog.CookieDropped(logger, parsed.Name.Value ?? "(unnamed)");
                changed = true;
            }
        }
        if (changed)
        {
            response.Headers.SetCookie = kept.ToArray();
        }
    }

    /// <summary>Jupyter's raw file downloads (<c>/jupyter/files/…</c>).</summary>
    private static bool IsDownload(PathString path) => path.StartsWithSegments("/jupyter/files", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The request's cookies less the platform's own (from the raw header, not request.Cookies, which would
    /// hand back values unescaped); the header as it came when it holds none of them, as most requests do.
    /// </summary>
    private static string? WorkspaceCookies(StringValues headers)
    {
        if (headers.Count == 0)
        {
            return null;
        }
        if (headers.Count == 1 && headers[0] is { } single
            && !single.Contains(PlatformCookie, StringComparison.Ordinal)
            && !single.Contains(EnvironmentCookie, StringComparison.Ordinal))
        {
            return single;
        }
        var kept = headers
            .SelectMany(header => (header ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(pair => !pair.StartsWith(PlatformCookie, StringComparison.Ordinal)
                && !pair.StartsWith(EnvironmentCookie, StringComparison.Ordinal));
        return string.Join("; ", kept);
    }

    /// <summary>Bodies worth scanning; an event stream never ends, so it is passed through as it comes.</summary>
    private static bool IsText(string? mediaType) => mediaType is not null
        && !mediaType.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase)
        && (mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
            || mediaType.Contains("json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Contains("javascript", StringComparison.OrdinalIgnoreCase)
            || mediaType.Contains("xml", StringComparison.OrdinalIgnoreCase));
}
