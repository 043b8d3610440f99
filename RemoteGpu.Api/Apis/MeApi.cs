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
using User = RemoteGpu.Core.Identity.User;

namespace RemoteGpu.Api.Apis;

/// <summary>The caller's own account: profile, password, sessions, API tokens and second factor.</summary>
internal static class MeApi
{
    public static IEndpointRouteBuilder MapMeApi(this IEndpointRouteBuilder app)
    {
        // Reachable with a session that still has to enrol the second factor policy requires.
        var enrol = app.MapGroup("/api/me").WithTags("Me").RequireAuthorization(PlatformAuthentication.EnrolmentAllowed);
        enrol.MapGet("/", GetMe).WithName("GetMe");
        enrol.MapPost("/totp", StartTotpEnrolment).WithName("StartTotpEnrolment");
        enrol.MapPost("/totp/confirm", ConfirmTotp).Validate<TotpConfirmRequest>().WithName("ConfirmTotp");

        var me = app.MapGroup("/api/me").WithTags("Me").RequireAuthorization(PlatformAuthentication.SignedIn);
        me.MapPost("/password", ChangePassword).Validate<ChangePasswordRequest>().WithName("ChangePassword");
        me.MapDelete("/totp", DisableTotp).Validate<DisableTotpRequest>().WithName("DisableTotp");
        me.MapGet("/tokens", ListTokens).WithName("ListTokens");
        me.MapPost("/tokens", CreateToken).Validate<CreateTokenRequest>().WithName("CreateToken");
        me.MapDelete("/tokens/{id:guid}", RevokeToken).WithName("RevokeToken");
        me.MapGet("/sessions", ListSessions)
            .WithName("ListSessions")
            .WithSummary("The caller's live sessions (browsers signed in), the caller's own marked current.");
        me.MapDelete("/sessions/{id:guid}", EndSession)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("EndSession")
            .WithSummary("Ends one of the caller's sessions, and every environment session handed off from it; ending the current one is a logout.");
        return app;
    }

    public static async Task<Results<Ok<MeResponse>, NotFound>> GetMe(HttpContext context, IOptions<SecurityOptions> security, RemoteGpuDbContext db, CancellationToken cancellationToken)
    {
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == context.User.UserId(), cancellationToken);
        return user is null
            ? TypedResults.NotFound()
            : TypedResults.Ok(MeResponse.From(user, !user.TotpEnabled && security.Value.RequiresTwoFactor(user.Role)));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> ChangePassword(
        ChangePasswordRequest request, HttpContext context, RemoteGpuDbContext db, UserSessions sessions, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var user = await db.Users.SingleAsync(u => u.Id == context.User.UserId(), cancellationToken);
        if (!PasswordHasher.Verify(request.CurrentPassword!, user.PasswordHash))
        {
            await audit.WriteAsync(AuditActions.PasswordChange, false, cancellationToken, target: ("user", user.Id.ToString()));
            return AuthApi.Problem(StatusCodes.Status403Forbidden, "Wrong password", "The current password is wrong.");
        }

        user.PasswordHash = PasswordHasher.Hash(request.NewPassword!);
        user.SecurityStamp = Guid.NewGuid();
        user.UpdatedAt = time.GetUtcNow();
        await audit.WriteAsync(AuditActions.PasswordChange, true, cancellationToken, target: ("user", user.Id.ToString()));

        // Every other session and token is void now (the stamp), and the sessions say so in their list;
        // this one carries on under the new stamp.
        var current = context.User.Session();
        await sessions.EndAllAsync(user.Id, SessionEndReasons.PasswordChanged, cancellationToken, except: current);
        if (context.User.Identity?.AuthenticationType == CookieAuthenticationDefaults.AuthenticationScheme)
        {
            var method = context.User.FindFirst(PlatformClaims.AuthenticationMethod)?.Value ?? "pwd";
            await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
                PlatformClaims.Create(user, CookieAuthenticationDefaults.AuthenticationScheme, method, enrolmentRequired: false, current));
        }
        return TypedResults.NoContent();
    }

    public static async Task<Ok<List<TokenResponse>>> ListTokens(HttpContext context, RemoteGpuDbContext db, CancellationToken cancellationToken)
    {
        var userId = context.User.UserId();
        var tokens = await db.ApiTokens.AsNoTracking()
            .Where(t => t.UserId == userId)
            .OrderBy(t => t.CreatedAt)
            .Select(t => new TokenResponse(t.Id, t.Name, t.Prefix, t.CreatedAt, t.ExpiresAt, t.LastUsedAt, null))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(tokens);
    }

    public static async Task<Ok<List<SessionResponse>>> ListSessions(HttpContext context, UserSessions sessions, CancellationToken cancellationToken)
    {
        var current = context.User.Session();
        var live = await sessions.ListLiveAsync(context.User.UserId(), cancellationToken);
        return TypedResults.Ok(live.Select(s => SessionResponse.From(s, s.Id == current)).ToList());
    }

    /// <summary>
    /// Ends one of the caller's own sessions: its cookie, and the environment cookies handed off from it, are
    /// refused from the next request on. Someone else's session and one that does not exist (or has ended) get
    /// the same 404. Ending the current session is a logout.
    /// </summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> EndSession(
        Guid id, HttpContext context, UserSessions sessions, AuditLog audit, CancellationToken cancellationToken)
    {
        var current = context.User.Session() == id;
        if (!await sessions.EndAsync(context.User.UserId(), id, current ? SessionEndReasons.Logout : SessionEndReasons.Revoked, cancellationToken))
        {
            return AuthApi.Problem(StatusCodes.Status404NotFound, "No such session", "None of your live sessions has this id.");
        }
        await audit.WriteAsync(AuditActions.SessionEnd, true, cancellationToken,
            target: ("session", UserSession.ShortId(id)), details: new { current });
        if (current)
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
        return TypedResults.NoContent();
    }

    public static async Task<Created<TokenResponse>> CreateToken(
        CreateTokenRequest request, HttpContext context, RemoteGpuDbContext db, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var userId = context.User.UserId();
        var stamp = await db.Users.Where(u => u.Id == userId).Select(u => u.SecurityStamp).SingleAsync(cancellationToken);
        var token = ApiTokens.New();
        var now = time.GetUtcNow();
        var entity = new ApiToken
        {
            Id = Guid.CreateVersion7(now),
            UserId = userId,
            Name = request.Name!.Trim(),
            Prefix = ApiTokens.DisplayPrefix(token),
            TokenHash = ApiTokens.Hash(token),
            SecurityStamp = stamp,
            CreatedAt = now,
            ExpiresAt = request.ExpiresAt,
        };
        db.ApiTokens.Add(entity);
        await audit.WriteAsync(AuditActions.TokenCreate, true, cancellationToken,
            target: ("token", entity.Id.ToString()), details: new { name = entity.Name, prefix = entity.Prefix });

        return TypedResults.Created($"/api/me/tokens/{entity.Id}",
            new TokenResponse(entity.Id, entity.Name, entity.Prefix, entity.CreatedAt, entity.ExpiresAt, null, token));
    }

    public static async Task<Results<NoContent, NotFound>> RevokeToken(
        Guid id, HttpContext context, RemoteGpuDbContext db, AuditLog audit, CancellationToken cancellationToken)
    {
        var userId = context.User.UserId();
        var deleted = await db.ApiTokens.Where(t => t.Id == id && t.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        if (deleted == 0)
        {
            return TypedResults.NotFound();
        }
        await audit.WriteAsync(AuditActions.TokenRevoke, true, cancellationToken, target: ("token", id.ToString()));
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<TotpEnrolmentResponse>, ProblemHttpResult>> StartTotpEnrolment(
        HttpContext context, RemoteGpuDbContext db, TwoFactor twoFactor, AuditLog audit, CancellationToken cancellationToken)
    {
        var user = await db.Users.SingleAsync(u => u.Id == context.User.UserId(), cancellationToken);
        if (user.TotpEnabled)
        {
            return AuthApi.Problem(StatusCodes.Status409Conflict, "Already enrolled", "A second factor is already enrolled; disable it first.");
        }

        var (secret, protectedSecret, uri) = twoFactor.NewSecret(user.UserName);
        user.TotpSecretProtected = protectedSecret;
        await audit.WriteAsync(AuditActions.TotpEnrol, true, cancellationToken, target: ("user", user.Id.ToString()));
        return TypedResults.Ok(new TotpEnrolmentResponse(secret, uri));
    }

    public static async Task<Results<Ok<RecoveryCodesResponse>, ProblemHttpResult>> ConfirmTotp(
        TotpConfirmRequest request, HttpContext context, RemoteGpuDbContext db, TwoFactor twoFactor, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var user = await db.Users.SingleAsync(u => u.Id == context.User.UserId(), cancellationToken);
        if (user.TotpEnabled || user.TotpSecretProtected is null)
        {
            return AuthApi.Problem(StatusCodes.Status409Conflict, "Nothing to confirm", "Start an enrolment with POST /api/me/totp first.");
        }
        if (twoFactor.Verify(user.TotpSecretProtected, request.Code!.Trim()) is not { } step)
        {
            await audit.WriteAsync(AuditActions.TotpConfirm, false, cancellationToken, target: ("user", user.Id.ToString()));
            return AuthApi.Problem(StatusCodes.Status400BadRequest, "Invalid code", "The code does not match; check the device's clock and try again.");
        }

        var now = time.GetUtcNow();
        user.TotpEnabled = true;
        user.TotpLastStep = step;
        user.UpdatedAt = now;
        var codes = TwoFactor.NewRecoveryCodes();
        await db.RecoveryCodes.Where(c => c.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
        db.RecoveryCodes.AddRange(codes.Select(code => new RecoveryCode
        {
            Id = Guid.CreateVersion7(now),
            UserId = user.Id,
            CodeHash = TwoFactor.HashRecoveryCode(code),
            CreatedAt = now,
        }));
        await audit.WriteAsync(AuditActions.TotpConfirm, true, cancellationToken, target: ("user", user.Id.ToString()));

        // The enrolment this session was held back for is done: lift the restriction now, in the same session.
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            PlatformClaims.Create(user, CookieAuthenticationDefaults.AuthenticationScheme, "pwd+otp", enrolmentRequired: false, context.User.Session()));
        return TypedResults.Ok(new RecoveryCodesResponse(codes));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DisableTotp(
        [FromBody] DisableTotpRequest request, HttpContext context, RemoteGpuDbContext db, IOptions<SecurityOptions> security, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var user = await db.Users.SingleAsync(u => u.Id == context.User.UserId(), cancellationToken);
        if (!PasswordHasher.Verify(request.Password!, user.PasswordHash))
        {
            await audit.WriteAsync(AuditActions.TotpDisable, false, cancellationToken, target: ("user", user.Id.ToString()));
            return AuthApi.Problem(StatusCodes.Status403Forbidden, "Wrong password", "The password is wrong.");
        }
        if (security.Value.RequiresTwoFactor(user.Role))
        {
            return AuthApi.Problem(StatusCodes.Status409Conflict, "Second factor required", "Policy requires a second factor for this account.");
        }

        user.TotpEnabled = false;
        user.TotpSecretProtected = null;
        user.TotpLastStep = null;
        user.UpdatedAt = time.GetUtcNow();
        await db.RecoveryCodes.Where(c => c.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
        await audit.WriteAsync(AuditActions.TotpDisable, true, cancellationToken, target: ("user", user.Id.ToString()));
        return TypedResults.NoContent();
    }
}

internal sealed record MeResponse(Guid Id, string UserName, string Role, bool Disabled, bool TotpEnabled, bool TwoFactorEnrolmentRequired, DateTimeOffset CreatedAt, DateTimeOffset? LastLoginAt)
{
    public static MeResponse From(User user, bool enrolmentRequired) =>
        new(user.Id, user.UserName, user.Role, user.IsDisabled, user.TotpEnabled, enrolmentRequired, user.CreatedAt, user.LastLoginAt);
}

internal sealed record SessionResponse(
    Guid Id, DateTimeOffset CreatedAt, DateTimeOffset LastSeenAt, string Method, string? Address, string? UserAgent, bool Current)
{
    public static SessionResponse From(UserSession session, bool current) =>
        new(session.Id, session.CreatedAt, session.LastSeenAt, session.Method, session.Address, session.UserAgent, current);
}

internal sealed record TokenResponse(Guid Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt, string? Token);

internal sealed record TotpEnrolmentResponse(string Secret, string OtpauthUri);

internal sealed record RecoveryCodesResponse(IReadOnlyList<string> RecoveryCodes);

internal sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

internal sealed class ChangePasswordRequestValidator : AbstractValidator<ChangePasswordRequest>
{
    public ChangePasswordRequestValidator()
    {
        RuleFor(r => r.CurrentPassword).NotEmpty().MaximumLength(PasswordRules.MaximumLength);
        RuleFor(r => r.NewPassword).NewPassword().NotEqual(r => r.CurrentPassword).WithMessage("'{PropertyName}' must differ from the current password.");
    }
}

internal sealed record CreateTokenRequest(string? Name, DateTimeOffset? ExpiresAt);

internal sealed class CreateTokenRequestValidator : AbstractValidator<CreateTokenRequest>
{
    public CreateTokenRequestValidator(TimeProvider time)
    {
        RuleFor(r => r.Name).NotEmpty().MaximumLength(64);
        RuleFor(r => r.ExpiresAt).Must(e => e is null || e > time.GetUtcNow()).WithMessage("'{PropertyName}' must be in the future.");
    }
}

internal sealed record TotpConfirmRequest(string? Code);

internal sealed class TotpConfirmRequestValidator : AbstractValidator<TotpConfirmRequest>
{
    public TotpConfirmRequestValidator() => RuleFor(r => r.Code).NotEmpty().Matches("^[0-9]{6}$").WithMessage("'{PropertyName}' must be the 6 digits shown by the authenticator app.");
}

internal sealed record DisableTotpRequest(string? Password);

internal sealed class DisableTotpRequestValidator : AbstractValidator<DisableTotpRequest>
{
    public DisableTotpRequestValidator() => RuleFor(r => r.Password).NotEmpty().MaximumLength(PasswordRules.MaximumLength);
}
