using System.Net;

namespace RemoteGpu.Proxy.Edge;

/// <summary>The edge's own answers: a small HTML page for browsers, problem JSON for API clients.</summary>
internal static class EdgeResponses
{
    public static bool IsBrowser(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    public static Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Headers.CacheControl = "no-store";
        if (IsBrowser(context.Request))
        {
            var html = $"""
                <!doctype html>
                <html><head><meta charset="utf-8"><title>{status} {WebUtility.HtmlEncode(title)}</title></head>
                <body><h1>{WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(detail)}</p></body></html>
                """;
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/html; charset=utf-8";
            return context.Response.WriteAsync(html, context.RequestAborted);
        }
        return TypedResults.Problem(detail, statusCode: status, title: title).ExecuteAsync(context);
    }
}
