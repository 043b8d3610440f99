using System.Net;
using System.Text;

namespace RemoteGpu.Api.Apis;

/// <summary>
/// The few HTML pages the Api serves to browsers (sign-in, hand-off refusals): self-contained, no
/// script and no external asset, never cached, never framed.
/// </summary>
internal static class Pages
{
    private const string Style = """
        body{font:16px/1.5 system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
        main{max-width:22rem;margin:10vh auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
        h1{font-size:1.4rem;margin:0 0 1rem}
        label{display:block;margin:.9rem 0 .25rem;font-weight:600}
        label small{font-weight:400;color:#5b6475}
        input{box-sizing:border-box;width:100%;padding:.5rem;border:1px solid #b8bfcc;border-radius:4px;font:inherit}
        button{margin-top:1.4rem;width:100%;padding:.6rem;border:0;border-radius:4px;background:#2451c6;color:#fff;font:inherit;font-weight:600;cursor:pointer}
        .error{background:#fdecec;border:1px solid #e6a3a3;color:#8a1c1c;padding:.6rem .8rem;border-radius:4px}
        .error ul{margin:.3rem 0 0;padding-left:1.2rem}
        """;

    /// <summary>Whether the caller is a browser navigating (it accepts HTML), not an API client.</summary>
    public static bool WantsHtml(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A whole page around <paramref name="bodyHtml"/> (already encoded), with the headers every page gets.</summary>
    public static IResult Html(HttpContext context, int status, string title, string bodyHtml)
    {
        ArgumentNullException.ThrowIfNull(context);
        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers.Pragma = "no-cache";
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        // No form-action: a sign-in redirects on to environment hosts, which that directive would block.
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";
        var html = $"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{Encode(title)} · RemoteGpu</title>
            <style>{Style}</style>
            </head>
            <body>
            <main>
            {bodyHtml}
            </main>
            </body>
            </html>
            """;
        return TypedResults.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    /// <summary>A refusal: a small page for a browser, problem JSON for anything else.</summary>
    public static IResult Refusal(HttpContext context, int status, string title, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!WantsHtml(context.Request))
        {
            return AuthApi.Problem(status, title, detail);
        }
        return Html(context, status, $"{status} {title}",
            $"""<h1>{Encode(title)}</h1><p>{Encode(detail)}</p><p><a href="/">RemoteGpu</a></p>""");
    }

    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);
}
