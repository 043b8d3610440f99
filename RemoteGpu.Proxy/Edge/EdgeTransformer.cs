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
/// client, scheme, host and prefix through X-Forwarded-*; on the way back, a header that would echo the
/// injected token is dropped and text bodies are sent without it.
/// </summary>
internal sealed class EdgeTransformer(string pathPrefixToStrip, string? jupyterToken) : HttpTransformer
{
    private static readonly string PlatformCookie = PlatformAuthentication.CookieName + "=";
    private static readonly string EnvironmentCookie = PlatformAuthentication.EnvironmentCookieName + "=";
    private static readonly string[] ForwardedHeaders = ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix", "Forwarded"];

    private readonly byte[]? _jupyterTokenBytes = jupyterToken is null ? null : Encoding.ASCII.GetBytes(jupyterToken);
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
        if (jupyterToken is null || !proxied)
        {
            return proxied;
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
        // token (the edge adds it to every request), so text bodies are sent without it.
        if (proxyResponse?.Content is not { } content
            || !IsText(content.Headers.ContentType?.MediaType)
            || HttpMethods.IsHead(httpContext.Request.Method)
            || proxyResponse.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotModified or HttpStatusCode.SwitchingProtocols)
        {
            return true;
        }
        var body = await content.ReadAsByteArrayAsync(cancellationToken);
        var cleaned = Redact(body, _jupyterTokenBytes!);
        httpContext.Response.ContentLength = cleaned.Length;
        await httpContext.Response.Body.WriteAsync(cleaned, cancellationToken);
        return false;
    }

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

    /// <summary>The body with every occurrence of <paramref name="secret"/> removed (ASCII hex: the same bytes in UTF-8 and Latin-1).</summary>
    private static byte[] Redact(byte[] body, byte[] secret)
    {
        var span = body.AsSpan();
        if (span.IndexOf(secret) < 0)
        {
            return body;
        }
        using var output = new MemoryStream(body.Length);
        int index;
        while ((index = span.IndexOf(secret)) >= 0)
        {
            output.Write(span[..index]);
            span = span[(index + secret.Length)..];
        }
        output.Write(span);
        return output.ToArray();
    }
}
