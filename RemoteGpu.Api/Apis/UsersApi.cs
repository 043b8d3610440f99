using FluentValidation;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RemoteGpu.Api.Auditing;
using RemoteGpu.Api.Identity;
using RemoteGpu.Api.Validation;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Identity;
using RemoteGpu.Core.Provisioning;
using User = RemoteGpu.Core.Identity.User;

namespace RemoteGpu.Api.Apis;

/// <summary>User administration: admins list, create, disable and re-enable accounts.</summary>
internal static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/users").WithTags("Users").RequireAuthorization(PlatformAuthentication.AdminOnly);
        api.MapGet("/", ListUsers).WithName("ListUsers");
        api.MapPost("/", CreateUser).Validate<CreateUserRequest>().WithName("CreateUser");
        api.MapPost("/{id:guid}/disable", DisableUser).WithName("DisableUser");
        api.MapPost("/{id:guid}/enable", EnableUser).WithName("EnableUser");
        return app;
    }

    public static async Task<Ok<List<UserResponse>>> ListUsers(RemoteGpuDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await db.Users.AsNoTracking()
            .OrderBy(u => u.UserName)
            .Select(u => new UserResponse(u.Id, u.UserName, u.Role, u.IsDisabled, u.TotpEnabled, u.CreatedAt, u.LastLoginAt))
            .ToListAsync(cancellationToken));

    public static async Task<Results<Created<UserResponse>, ProblemHttpResult>> CreateUser(
        CreateUserRequest request, RemoteGpuDbContext db, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var user = new User
        {
            Id = Guid.CreateVersion7(now),
            UserName = request.UserName!,
            PasswordHash = PasswordHasher.Hash(request.Password!),
            Role = request.Role!,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Users.Add(user);
        try
        {
            await audit.WriteAsync(AuditActions.UserCreate, true, cancellationToken,
                target: ("user", user.Id.ToString()), details: new { user_name = user.UserName, role = user.Role });
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return AuthApi.Problem(StatusCodes.Status409Conflict, "User name taken", $"A user named '{user.UserName}' already exists.");
        }
        return TypedResults.Created($"/api/users/{user.Id}", UserResponse.From(user));
    }

    public static Task<Results<Ok<UserResponse>, NotFound, ProblemHttpResult>> DisableUser(
        Guid id, HttpContext context, RemoteGpuDbContext db, UserSessions sessions, AuditLog audit, ProvisioningQueue queue, TimeProvider time, CancellationToken cancellationToken) =>
        SetDisabledAsync(id, true, context, db, sessions, audit, queue, time, cancellationToken);

    public static Task<Results<Ok<UserResponse>, NotFound, ProblemHttpResult>> EnableUser(
        Guid id, HttpContext context, RemoteGpuDbContext db, UserSessions sessions, AuditLog audit, ProvisioningQueue queue, TimeProvider time, CancellationToken cancellationToken) =>
        SetDisabledAsync(id, false, context, db, sessions, audit, queue, time, cancellationToken);

    private static async Task<Results<Ok<UserResponse>, NotFound, ProblemHttpResult>> SetDisabledAsync(
        Guid id, bool disabled, HttpContext context, RemoteGpuDbContext db, UserSessions sessions, AuditLog audit, ProvisioningQueue queue, TimeProvider time, CancellationToken cancellationToken)
    {
        if (disabled && id == context.User.UserId())
        {
            return AuthApi.Problem(StatusCodes.Status409Conflict, "Cannot disable yourself", "Another administrator must do that.");
        }
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == id, cancellationToken);
        if (user is null)
        {
            return TypedResults.NotFound();
        }

        if (user.IsDisabled != disabled)
        {
            user.IsDisabled = disabled;
            user.UpdatedAt = time.GetUtcNow();
            // Disabling ends every session and token of the user at once.
            user.SecurityStamp = Guid.NewGuid();
        }
        await audit.WriteAsync(disabled ? AuditActions.UserDisable : AuditActions.UserEnable, true, cancellationToken,
            target: ("user", user.Id.ToString()), details: new { user_name = user.UserName });
        if (disabled)
        {
            // The stamp has ended them already; their rows say so too, and the edge hears it per session.
            await sessions.EndAllAsync(user.Id, SessionEndReasons.UserDisabled, cancellationToken);
            // Environments shared with the user get a new Jupyter token, voiding any copy they kept.
            var now = time.GetUtcNow();
            await CredentialRenewal.RenewAsync(db, queue,
                db.Environments.Where(e => db.EnvironmentGrants.Any(g => g.EnvironmentId == e.Id && g.UserId == id && g.ExpiresAt > now)), cancellationToken);
        }
        return TypedResults.Ok(UserResponse.From(user));
    }
}

internal sealed record UserResponse(Guid Id, string UserName, string Role, bool Disabled, bool TotpEnabled, DateTimeOffset CreatedAt, DateTimeOffset? LastLoginAt)
{
    public static UserResponse From(User user) =>
        new(user.Id, user.UserName, user.Role, user.IsDisabled, user.TotpEnabled, user.CreatedAt, user.LastLoginAt);
}

internal sealed record CreateUserRequest(string? UserName, string? Password, string? Role);

internal sealed class CreateUserRequestValidator : AbstractValidator<CreateUserRequest>
{
    public CreateUserRequestValidator()
    {
        RuleFor(r => r.UserName).UserName();
        RuleFor(r => r.Password).NewPassword();
        RuleFor(r => r.Role).NotEmpty().Must(role => Roles.All.Contains(role!))
            .WithMessage($"'{{PropertyName}}' must be one of: {string.Join(", ", Roles.All)}.");
    }
}
