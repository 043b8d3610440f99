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
using RemoteGpu.Core.Identity;

namespace RemoteGpu.Api.Apis;

/// <summary>Login and logout. Every failure is audited; no answer tells whether a user name exists.</summary>
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
        return app;
    }

    public static async Task<Results<Ok<MeResponse>, ProblemHttpResult>> Login(
        LoginRequest request,
        [AsParameters] AuthServices services,
        CancellationToken cancellationToken)
    {
        var userName = request.UserName!.Trim().ToLowerInvariant();
        if (await services.Throttle.IsLockedAsync(userName))
        {
            await services.Audit.WriteAsync(AuditActions.Login, false, cancellationToken,
                target: ("user", userName), details: new { reason = "locked" }, actor: (null, userName));
            return Problem(StatusCodes.Status423Locked, "Account temporarily locked",
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
                return Problem(StatusCodes.Status401Unauthorized, "Second factor required",
                    "Enter the code from your authenticator app, or a recovery code.", ("totp_required", true));
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
            return Problem(StatusCodes.Status403Forbidden, "Account disabled", "This account is disabled. Ask an administrator.");
        }

        await services.Throttle.RecordSuccessAsync(userName);
        user.LastLoginAt = services.Time.GetUtcNow();
        await services.Db.Users.Where(u => u.Id == user.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.LastLoginAt, user.LastLoginAt), cancellationToken);
        var enrolmentRequired = !user.TotpEnabled && services.Security.Value.RequiresTwoFactor(user.Role);
        var principal = PlatformClaims.Create(user, CookieAuthenticationDefaults.AuthenticationScheme, method, enrolmentRequired);
        await services.Http.HttpContext!.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal);
        await services.Audit.WriteAsync(AuditActions.Login, true, cancellationToken,
            target: ("user", user.Id.ToString()), details: new { method }, actor: (user.Id, user.UserName));

        return TypedResults.Ok(MeResponse.From(user, enrolmentRequired));
    }

    public static async Task<NoContent> Logout(HttpContext context, AuditLog audit, CancellationToken cancellationToken)
    {
        await audit.WriteAsync(AuditActions.Logout, true, cancellationToken);
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.NoContent();
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

    private static async Task<ProblemHttpResult> FailAsync(AuthServices services, string userName, Core.Identity.User? user, string reason, CancellationToken cancellationToken)
    {
        await services.Throttle.RecordFailureAsync(userName);
        await services.Audit.WriteAsync(AuditActions.Login, false, cancellationToken,
            target: ("user", user?.Id.ToString() ?? userName), details: new { reason }, actor: (user?.Id, userName));
        return reason == "bad_second_factor"
            ? Problem(StatusCodes.Status401Unauthorized, "Invalid second factor", "The code is wrong, expired or already used.")
            : Problem(StatusCodes.Status401Unauthorized, "Invalid credentials", "The user name or password is wrong.");
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
    LoginThrottle Throttle,
    TwoFactor TwoFactor,
    AuditLog Audit,
    IOptions<SecurityOptions> Security,
    IHttpContextAccessor Http,
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
