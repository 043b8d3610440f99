using System.Text;
using FluentValidation;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Identity;
using RemoteGpu.Core.Options;

namespace RemoteGpu.Api.Apis;

/// <summary>
/// The sign-in page on the platform host (<c>GET/POST /login?return_url=…</c>), where the edge sends
/// browsers. The form posts to the same routine as <c>POST /api/auth/login</c>
/// (<see cref="AuthApi.SignInAsync"/>), under the same rate limit, with an antiforgery token; on success
/// it redirects to the return URL when that is safe (<see cref="ReturnUrls"/>), else to <c>/</c>.
/// </summary>
internal static class LoginPage
{
    public const string Path = "/login";

    public static IEndpointRouteBuilder MapLoginPage(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, Show)
            .ExcludeFromDescription();
        // Antiforgery is checked in the handler, so that a stale form gets the page again rather than JSON.
        app.MapPost(Path, SubmitAsync)
            .DisableAntiforgery()
            .RequireRateLimiting(AuthApi.LoginRateLimit)
            .ExcludeFromDescription();
        return app;
    }

    public static IResult Show(
        HttpContext context,
        [FromQuery(Name = "return_url")] string? returnUrl,
        IAntiforgery antiforgery,
        IOptions<PlatformOptions> platform) =>
        Render(context, antiforgery, StatusCodes.Status200OK, new LoginForm(null, ReturnUrls.Safe(returnUrl, platform.Value)));

    public static async Task<IResult> SubmitAsync(
        HttpContext context,
        IAntiforgery antiforgery,
        IValidator<LoginRequest> validator,
        IOptions<PlatformOptions> platform,
        [AsParameters] AuthServices services,
        CancellationToken cancellationToken)
    {
        if (!context.Request.HasFormContentType)
        {
            return Render(context, antiforgery, StatusCodes.Status400BadRequest,
                new LoginForm(null, null, Error: ("Sign-in failed", "Send the sign-in form as a form.")));
        }
        var fields = await context.Request.ReadFormAsync(cancellationToken);
        var userName = fields["user_name"].ToString();
        var form = new LoginForm(userName, ReturnUrls.Safe(fields["return_url"].ToString(), platform.Value));

        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return Render(context, antiforgery, StatusCodes.Status400BadRequest,
                form with { Error = ("This form has expired", "Sign in again on this page.") });
        }

        var code = fields["totp_code"].ToString();
        var request = new LoginRequest(userName, fields["password"].ToString(), string.IsNullOrWhiteSpace(code) ? null : code);
        var validation = await validator.ValidateAsync(request, cancellationToken);
        if (!validation.IsValid)
        {
            return Render(context, antiforgery, StatusCodes.Status400BadRequest, form with
            {
                Error = ("Check the form", "Some fields are not valid."),
                FieldErrors = validation.Errors.Select(e => e.ErrorMessage).Distinct().ToList(),
            });
        }

        var outcome = await AuthApi.SignInAsync(request, services, cancellationToken);
        if (outcome.User is not null)
        {
            return TypedResults.Redirect(form.ReturnUrl ?? "/");
        }
        return Render(context, antiforgery, outcome.Status, form with
        {
            Error = (outcome.Title, outcome.SecondFactorRequired
                ? outcome.Detail + " Enter your password again too: it is never sent back to the browser."
                : outcome.Detail),
            AskForCode = outcome.SecondFactorRequired,
        });
    }

    /// <summary>Whether the rate limiter is turning away a submission of this form (it answers with the page, not JSON).</summary>
    public static bool IsSubmission(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The page again, with 429, for a submission the per-address rate limit turned away.</summary>
    public static async Task WriteTooManyAttemptsAsync(HttpContext context, string detail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var fields = context.Request.HasFormContentType
            ? await context.Request.ReadFormAsync(cancellationToken)
            : FormCollection.Empty;
        var platform = context.RequestServices.GetRequiredService<IOptions<PlatformOptions>>().Value;
        var form = new LoginForm(fields["user_name"].ToString(), ReturnUrls.Safe(fields["return_url"].ToString(), platform))
        {
            Error = ("Too many attempts", detail),
        };
        var page = Render(context, context.RequestServices.GetRequiredService<IAntiforgery>(), StatusCodes.Status429TooManyRequests, form);
        await page.ExecuteAsync(context);
    }

    private static IResult Render(HttpContext context, IAntiforgery antiforgery, int status, LoginForm form)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var body = new StringBuilder();
        body.Append("<h1>Sign in to RemoteGpu</h1>");
        if (form.Error is var (title, detail))
        {
            body.Append($"""<div class="error" role="alert"><strong>{Pages.Encode(title)}</strong><br>{Pages.Encode(detail)}""");
            if (form.FieldErrors is { Count: > 0 } errors)
            {
                body.Append("<ul>");
                foreach (var error in errors)
                {
                    body.Append($"<li>{Pages.Encode(error)}</li>");
                }
                body.Append("</ul>");
            }
            body.Append("</div>");
        }
        var focusUser = string.IsNullOrEmpty(form.UserName) ? " autofocus" : string.Empty;
        var focusPassword = focusUser.Length == 0 ? " autofocus" : string.Empty;
        body.Append($"""
            <form method="post" action="{Pages.Encode(context.Request.PathBase + Path)}">
            <input type="hidden" name="{Pages.Encode(tokens.FormFieldName)}" value="{Pages.Encode(tokens.RequestToken)}">
            <input type="hidden" name="return_url" value="{Pages.Encode(form.ReturnUrl)}">
            <label for="user_name">User name</label>
            <input id="user_name" name="user_name" autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="64" required value="{Pages.Encode(form.UserName)}"{focusUser}>
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required{focusPassword}>
            <label for="totp_code">One-time code <small>{(form.AskForCode ? "(required: authenticator app or recovery code)" : "(if you use an authenticator app)")}</small></label>
            <input id="totp_code" name="totp_code" autocomplete="one-time-code" inputmode="text" maxlength="32"{(form.AskForCode ? " required" : string.Empty)}>
            <button id="sign_in" type="submit">Sign in</button>
            </form>
            """);
        return Pages.Html(context, status, "Sign in", body.ToString());
    }

    /// <summary>What the page shows: never the password, which is not sent back.</summary>
    private sealed record LoginForm(string? UserName, string? ReturnUrl, (string Title, string Detail)? Error = null)
    {
        public IReadOnlyList<string>? FieldErrors { get; init; }
        public bool AskForCode { get; init; }
    }
}
