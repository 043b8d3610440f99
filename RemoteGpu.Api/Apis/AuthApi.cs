using System.Security.Claims;
using FluentValidation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RemoteGpu.Api.Auditing;
using RemoteGpu.Api.Identity;
using RemoteGpu.Api.Validation;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Identity;
using RemoteGpu.Core.Options;
using StackExchange.Redis;

namespace RemoteGpu.Api.Apis;

/// <summary>
/// Login and logout, for the JSON API and the sign-in page alike (one routine, <see cref="SignInAsync"/>),
/// and the hand-off of a session to an environment host. Every failure is audited; no answer tells
/// whether a user name exists.
/// </summary>
internal static class AuthApi
{
    public const string LoginRateLimit = "login";

    // Verified against when the user name is unknown, so that answer takes as long as a wrong password.
    private static readonly Lazy<string> DummyHash = new(() => PasswordHasher.Hash(Guid.NewGuid().ToString()));

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/auth").WithTags("Authentication");
        api.MapPost("/login", Login)
            .Validate<LoginRequest>()
            .RequireRateLimiting(LoginRateLimit)
            .WithName("Login")
            .WithSummary("Sign in with user name, password and, when enrolled, a TOTP or recovery code; sets the session cookie.");
        api.MapPost("/logout", Logout)
            .RequireAuthorization(PlatformAuthentication.EnrolmentAllowed)
            .WithName("Logout");
        api.MapGet("/environment-session", EnvironmentSession)
            .Produces(StatusCodes.Status302Found)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("EnvironmentSession")
            .WithSummary("Hands the caller's session to an environment host: a one-time ticket, redeemed there within a minute.");
        return app;
    }

    public static async Task<Results<Ok<MeResponse>, ProblemHttpResult>> Login(
        LoginRequest request,
        [AsParameters] AuthServices services,
        CancellationToken cancellationToken)
    {
        var outcome = await SignInAsync(request, services, cancellationToken);
        if (outcome.User is { } user)
        {
            return TypedResults.Ok(MeResponse.From(user, outcome.EnrolmentRequired));
        }
        return outcome.SecondFactorRequired
            ? Problem(outcome.Status, outcome.Title, outcome.Detail, ("totp_required", true))
            : Problem(outcome.Status, outcome.Title, outcome.Detail);
    }

    /// <summary>
    /// The one sign-in routine behind <c>POST /api/auth/login</c> and the sign-in page: lockout, bcrypt
    /// (as slow for unknown names), the second factor, disabled accounts, audit, and the session: its row
    /// (<see cref="UserSessions"/>) and the cookie that names it.
    /// The per-address rate limit sits on both endpoints. <paramref name="request"/> is already validated.
    /// </summary>
    public static async Task<LoginOutcome> SignInAsync(LoginRequest request, AuthServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(services);
        var userName = request.UserName!.Trim().ToLowerInvariant();
        if (await services.Throttle.IsLockedAsync(userName))
        {
            await services.Audit.WriteAsync(AuditActions.Login, false, cancellationToken,
                target: ("user", userName), details: new { reason = "locked" }, actor: (null, userName));
            return LoginOutcome.Refused(StatusCodes.Status423Locked, "Account temporarily locked",
                "Too many failed attempts for this account. Try again later.");
        }

        // Not tracked: concurrent logins of one user must not collide on its row version, so the
        // writes below are single conditional UPDATEs.
        var user = await services.Db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.UserName == userName, cancellationToken);
        var passwordOk = PasswordHasher.Verify(request.Password!, user?.PasswordHash ?? DummyHash.Value) && user is not null;
        if (!passwordOk)
        {
            return await FailAsync(services, userName, user, "bad_credentials", cancellationToken);
        }

        var method = "pwd";
        if (user!.TotpEnabled)
        {
            if (string.IsNullOrWhiteSpace(request.TotpCode))
            {
                // Not a failure: the client asks for the second factor and tries again.
                return LoginOutcome.Refused(StatusCodes.Status401Unauthorized, "Second factor required",
                    "Enter the code from your authenticator app, or a recovery code.", secondFactorRequired: true);
            }
            method = await VerifySecondFactorAsync(services, user, request.TotpCode.Trim(), cancellationToken);
            if (method is null)
            {
                return await FailAsync(services, userName, user, "bad_second_factor", cancellationToken);
            }
        }

        if (user.IsDisabled)
        {
            await services.Audit.WriteAsync(AuditActions.Login, false, cancellationToken,
                target: ("user", user.Id.ToString()), details: new { reason = "disabled" }, actor: (user.Id, user.UserName));
            return LoginOutcome.Refused(StatusCodes.Status403Forbidden, "Account disabled", "This account is disabled. Ask an administrator.");
        }

        await services.Throttle.RecordSuccessAsync(userName);
        user.LastLoginAt = services.Time.GetUtcNow();
        await services.Db.Users.Where(u => u.Id == user.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.LastLoginAt, user.LastLoginAt), cancellationToken);
        var enrolmentRequired = !user.TotpEnabled && services.Security.Value.RequiresTwoFactor(user.Role);
        var context = services.Http.HttpContext!;
        var sessionId = services.Sessions.Start(user.Id, method, context);
        await services.Db.SaveChangesAsync(cancellationToken);
        var principal = PlatformClaims.Create(user, CookieAuthenticationDefaults.AuthenticationScheme, method, enrolmentRequired, sessionId);
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal);
        await services.Audit.WriteAsync(AuditActions.Login, true, cancellationToken,
            target: ("user", user.Id.ToString()), details: new { method }, actor: (user.Id, user.UserName));

        return new LoginOutcome(user, enrolmentRequired);
    }

    /// <summary>
    /// Ends the caller's session on the server, not only in this browser: the cookie, replayed, is refused
    /// from now on, and so is every environment cookie handed off from it (issue 21, finding 5). An API
    /// token is no session: it stays good.
    /// </summary>
    public static async Task<NoContent> Logout(HttpContext context, UserSessions sessions, AuditLog audit, CancellationToken cancellationToken)
    {
        var session = context.User.Session();
        if (session is { } sessionId)
        {
            await sessions.EndAsync(context.User.UserId(), sessionId, SessionEndReasons.Logout, cancellationToken);
        }
        await audit.WriteAsync(AuditActions.Logout, true, cancellationToken,
            target: session is { } ended ? ("session", UserSession.ShortId(ended)) : null);
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The platform host's half of the hand-off to an environment host (<see cref="EnvironmentTicket"/>):
    /// an anonymous browser signs in first and comes back here; a signed-in user who may use the
    /// environment gets a one-time ticket and goes to the edge on <c>env-&lt;id&gt;.&lt;domain&gt;</c>, which
    /// redeems it and sets a cookie of its own there.
    /// </summary>
    public static async Task<IResult> EnvironmentSession(
        HttpContext context,
        string? environment,
        [FromQuery(Name = "return_url")] string? returnUrl,
        [AsParameters] EnvironmentSessionServices services,
        CancellationToken cancellationToken)
    {
        if (!EnvironmentIds.IsValid(environment))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["environment"] = ["'environment' must be an environment id such as env-0123abcd."],
            });
        }
        var returnPath = EnvironmentTicket.ReturnPath(returnUrl);
        context.Response.Headers.CacheControl = "no-store";

        var caller = context.User;
        // Only a browser's session is handed off (an API token has none): the environment cookie is part of it.
        if (caller.Identity?.IsAuthenticated != true || caller.Stamp() is not { } stamp || caller.Session() is not { } sessionId)
        {
            var again = $"{EnvironmentTicket.HandOffPath}?environment={environment}&return_url={Uri.EscapeDataString(returnPath)}";
            return TypedResults.Redirect($"{LoginPage.Path}?return_url={Uri.EscapeDataString(again)}");
        }
        if (caller.HasClaim(c => c.Type == PlatformClaims.TwoFactorEnrolmentRequired))
        {
            return Pages.Refusal(context, StatusCodes.Status403Forbidden, "Second factor required",
                "Enrol a second factor for your account before you open environments.");
        }

        var right = await EnvironmentAccess.ResolveAsync(services.Db, caller, environment, services.Time.GetUtcNow(), cancellationToken);
        if (right == EnvironmentRight.None)
        {
            // Someone else's environment and one that does not exist get the same answer: ids cannot be probed here.
            await services.Audit.WriteAsync(AuditActions.EnvironmentSession, false, cancellationToken,
                target: ("environment", environment), details: new { reason = "not_found_or_no_access" });
            return Pages.Refusal(context, StatusCodes.Status404NotFound, "No such environment",
                $"There is no environment {environment} that you may open.");
        }

        var method = caller.FindFirstValue(PlatformClaims.AuthenticationMethod) ?? "pwd";
        var handOff = new EnvironmentTicket(caller.UserId(), caller.Identity.Name ?? string.Empty,
            caller.FindFirstValue(ClaimTypes.Role) ?? Roles.User, stamp, environment, method, sessionId);
        var ticket = await handOff.IssueAsync(services.Redis.GetDatabase());
        await services.Audit.WriteAsync(AuditActions.EnvironmentSession, true, cancellationToken,
            target: ("environment", environment), details: new { method });

        // The ticket rides in the URL: keep it out of caches and of the next page's Referer.
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        return TypedResults.Redirect(RedeemUrl(context.Request, services.Platform.Value, environment, ticket, returnPath));
    }

    /// <summary>
    /// The edge's redeem URL on the environment host, with <see cref="PlatformOptions.EdgeUrl"/>'s scheme and
    /// port — or, where that is unset, this request's, which the edge in front forwards (X-Forwarded-*).
    /// </summary>
    private static string RedeemUrl(HttpRequest request, PlatformOptions platform, string environmentId, string ticket, string returnPath)
    {
        var url = platform.EdgeUrl is not null
            ? new UriBuilder(platform.EnvironmentUrl(environmentId, EnvironmentTicket.RedeemPath))
            : new UriBuilder(request.Scheme, platform.EnvironmentHost(environmentId), request.Host.Port ?? -1, EnvironmentTicket.RedeemPath);
        url.Query = $"ticket={ticket}&return_url={Uri.EscapeDataString(returnPath)}";
        return url.Uri.AbsoluteUri;
    }

    /// <summary>The method name for the session (<c>pwd+otp</c> or <c>pwd+recovery</c>), or null when the code is wrong or reused.</summary>
    private static async Task<string?> VerifySecondFactorAsync(AuthServices services, Core.Identity.User user, string code, CancellationToken cancellationToken)
    {
        if (TwoFactor.LooksLikeRecoveryCode(code))
        {
            var hash = TwoFactor.HashRecoveryCode(code);
            var used = await services.Db.RecoveryCodes
                .Where(c => c.UserId == user.Id && c.CodeHash == hash && c.UsedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.UsedAt, services.Time.GetUtcNow()), cancellationToken);
            return used == 1 ? "pwd+recovery" : null;
        }

        if (services.TwoFactor.Verify(user.TotpSecretProtected!, code) is not { } step)
        {
            return null;
        }
        // Claim the step atomically: of two logins racing with one code, exactly one wins.
        var claimed = await services.Db.Users
            .Where(u => u.Id == user.Id && (u.TotpLastStep == null || u.TotpLastStep < step))
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.TotpLastStep, step), cancellationToken);
        return claimed == 1 ? "pwd+otp" : null;
    }

    private static async Task<LoginOutcome> FailAsync(AuthServices services, string userName, Core.Identity.User? user, string reason, CancellationToken cancellationToken)
    {
        await services.Throttle.RecordFailureAsync(userName);
        await services.Audit.WriteAsync(AuditActions.Login, false, cancellationToken,
            target: ("user", user?.Id.ToString() ?? userName), details: new { reason }, actor: (user?.Id, userName));
        return reason == "bad_second_factor"
            ? LoginOutcome.Refused(StatusCodes.Status401Unauthorized, "Invalid second factor", "The code is wrong, expired or already used.")
            : LoginOutcome.Refused(StatusCodes.Status401Unauthorized, "Invalid credentials", "The user name or password is wrong.");
    }

    internal static ProblemHttpResult Problem(int status, string title, string detail, params (string Key, object Value)[] extensions) =>
        TypedResults.Problem(new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = detail,
            Extensions = extensions.ToDictionary(e => e.Key, e => (object?)e.Value),
        });
}

internal sealed record AuthServices(
    RemoteGpuDbContext Db,
    UserSessions Sessions,
    LoginThrottle Throttle,
    TwoFactor TwoFactor,
    AuditLog Audit,
    IOptions<SecurityOptions> Security,
    IHttpContextAccessor Http,
    TimeProvider Time);

/// <summary>What one sign-in attempt came to: the user now signed in, or the refusal to show (status, title, detail).</summary>
internal sealed record LoginOutcome(Core.Identity.User? User, bool EnrolmentRequired, int Status = StatusCodes.Status200OK,
    string Title = "", string Detail = "", bool SecondFactorRequired = false)
{
    public static LoginOutcome Refused(int status, string title, string detail, bool secondFactorRequired = false) =>
        new(null, false, status, title, detail, secondFactorRequired);
}

internal sealed record EnvironmentSessionServices(
    RemoteGpuDbContext Db,
    IConnectionMultiplexer Redis,
    AuditLog Audit,
    IOptions<PlatformOptions> Platform,
    TimeProvider Time);

internal sealed record LoginRequest(string? UserName, string? Password, string? TotpCode);

internal sealed class LoginRequestValidator : AbstractValidator<LoginRequest>
{
    public LoginRequestValidator()
    {
        RuleFor(r => r.UserName).NotEmpty().MaximumLength(64);
        RuleFor(r => r.Password).NotEmpty().MaximumLength(PasswordRules.MaximumLength);
        RuleFor(r => r.TotpCode).MaximumLength(32);
    }
}
