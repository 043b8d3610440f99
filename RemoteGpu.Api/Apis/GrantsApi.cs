using FluentValidation;
using Microsoft.EntityFrameworkCore;
using RemoteGpu.Api.Auditing;
using RemoteGpu.Api.Validation;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Identity;
using RemoteGpu.Core.Provisioning;

namespace RemoteGpu.Api.Apis;

/// <summary>
/// Sharing: an environment's owner (or an admin) grants another user access until an expiry. The
/// environment is looked up through the caller's own access, so an id in the URL proves nothing: an
/// environment the caller cannot see is 404; one they can use but not share is 403.
/// </summary>
internal static class GrantsApi
{
    public static IEndpointRouteBuilder MapGrantsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/environments/{environmentId}/grants").WithTags("Sharing")
            .RequireAuthorization(PlatformAuthentication.SignedIn);
        api.MapGet("/", ListGrants).WithName("ListGrants");
        api.MapPost("/", CreateGrant).Validate<CreateGrantRequest>().WithName("CreateGrant");
        api.MapDelete("/{grantId:guid}", RevokeGrant).WithName("RevokeGrant");
        return app;
    }

    public static async Task<Results<Ok<List<GrantResponse>>, NotFound, ProblemHttpResult>> ListGrants(
        string environmentId, HttpContext context, RemoteGpuDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        switch (await EnvironmentAccess.ResolveAsync(db, context.User, environmentId, time.GetUtcNow(), cancellationToken))
        {
            case EnvironmentRight.None:
                return TypedResults.NotFound();
            case EnvironmentRight.Use:
                return OnlyOwnersShare();
        }
        var grants = await db.EnvironmentGrants.AsNoTracking()
            .Where(g => g.EnvironmentId == environmentId)
            .OrderBy(g => g.CreatedAt)
            .Select(g => new GrantResponse(g.Id, g.EnvironmentId, g.User!.UserName, g.ExpiresAt, g.CreatedAt))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(grants);
    }

    public static async Task<Results<Created<GrantResponse>, NotFound, ProblemHttpResult>> CreateGrant(
        string environmentId, CreateGrantRequest request, HttpContext context, RemoteGpuDbContext db, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        switch (await EnvironmentAccess.ResolveAsync(db, context.User, environmentId, time.GetUtcNow(), cancellationToken))
        {
            case EnvironmentRight.None:
                return TypedResults.NotFound();
            case EnvironmentRight.Use:
                return OnlyOwnersShare();
        }

        var grantee = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.UserName == request.UserName, cancellationToken);
        if (grantee is null || grantee.IsDisabled)
        {
            return TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]>
            {
                ["user_name"] = ["No active user has this name."],
            }) { Status = StatusCodes.Status400BadRequest });
        }
        if (await db.Environments.AnyAsync(e => e.Id == environmentId && e.OwnerId == grantee.Id, cancellationToken))
        {
            return AuthApi.Problem(StatusCodes.Status409Conflict, "Already the owner", "The owner needs no grant.");
        }

        var now = time.GetUtcNow();
        var grant = await db.EnvironmentGrants.SingleOrDefaultAsync(g => g.EnvironmentId == environmentId && g.UserId == grantee.Id, cancellationToken);
        if (grant is null)
        {
            grant = new EnvironmentGrant { Id = Guid.CreateVersion7(now), EnvironmentId = environmentId, UserId = grantee.Id, CreatedAt = now };
            db.EnvironmentGrants.Add(grant);
        }
        grant.GrantedById = context.User.UserId();
        grant.ExpiresAt = request.ExpiresAt!.Value;
        await audit.WriteAsync(AuditActions.GrantCreate, true, cancellationToken,
            target: ("environment", environmentId), details: new { grant_id = grant.Id, user_name = grantee.UserName, expires_at = grant.ExpiresAt });

        return TypedResults.Created($"/api/environments/{environmentId}/grants/{grant.Id}",
            new GrantResponse(grant.Id, environmentId, grantee.UserName, grant.ExpiresAt, grant.CreatedAt));
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> RevokeGrant(
        string environmentId, Guid grantId, HttpContext context, RemoteGpuDbContext db, AuditLog audit, ProvisioningQueue queue, TimeProvider time, CancellationToken cancellationToken)
    {
        switch (await EnvironmentAccess.ResolveAsync(db, context.User, environmentId, time.GetUtcNow(), cancellationToken))
        {
            case EnvironmentRight.None:
                return TypedResults.NotFound();
            case EnvironmentRight.Use:
                return OnlyOwnersShare();
        }
        var deleted = await db.EnvironmentGrants.Where(g => g.Id == grantId && g.EnvironmentId == environmentId).ExecuteDeleteAsync(cancellationToken);
        if (deleted == 0)
        {
            return TypedResults.NotFound();
        }
        await audit.WriteAsync(AuditActions.GrantRevoke, true, cancellationToken,
            target: ("environment", environmentId), details: new { grant_id = grantId });
        // The edge refuses the grantee from now on; a new Jupyter token voids any copy they kept.
        await CredentialRenewal.RenewAsync(db, queue, db.Environments.Where(e => e.Id == environmentId), cancellationToken);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult OnlyOwnersShare() =>
        AuthApi.Problem(StatusCodes.Status403Forbidden, "Not the owner", "Only the environment's owner or an administrator may manage its sharing.");
}

internal sealed record GrantResponse(Guid Id, string EnvironmentId, string UserName, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt);

internal sealed record CreateGrantRequest(string? UserName, DateTimeOffset? ExpiresAt);

internal sealed class CreateGrantRequestValidator : AbstractValidator<CreateGrantRequest>
{
    public CreateGrantRequestValidator(TimeProvider time)
    {
        RuleFor(r => r.UserName).UserName();
        RuleFor(r => r.ExpiresAt).NotNull()
            .Must(e => e > time.GetUtcNow()).WithMessage("'{PropertyName}' must be in the future.")
            .Must(e => e < time.GetUtcNow().AddYears(1)).WithMessage("'{PropertyName}' must be within a year.");
    }
}
