using FluentValidation;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RemoteGpu.Api.Auditing;
using RemoteGpu.Api.Validation;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Identity;

namespace RemoteGpu.Api.Apis;

/// <summary>The images environments may be created from: everyone reads the list, admins manage it.</summary>
internal static class ImagesApi
{
    public static IEndpointRouteBuilder MapImagesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/images").WithTags("Images");
        api.MapGet("/", List).RequireAuthorization(PlatformAuthentication.SignedIn).WithName("ListImages");
        api.MapPost("/", Add).Validate<AddImageRequest>().RequireAuthorization(PlatformAuthentication.AdminOnly).WithName("AddImage");
        api.MapPost("/disable", Disable).Validate<DisableImageRequest>().RequireAuthorization(PlatformAuthentication.AdminOnly).WithName("DisableImage");
        return app;
    }

    public static async Task<Ok<List<ImageResponse>>> List(HttpContext context, RemoteGpuDbContext db, CancellationToken cancellationToken)
    {
        var all = context.User.IsInRole(Roles.Admin);
        return TypedResults.Ok(await db.Images.AsNoTracking()
            .Where(i => all || i.Enabled)
            .OrderBy(i => i.Name)
            .Select(i => new ImageResponse(i.Name, i.DisplayName, i.Description, i.Enabled))
            .ToListAsync(cancellationToken));
    }

    public static async Task<Results<Created<ImageResponse>, Ok<ImageResponse>>> Add(
        AddImageRequest request, RemoteGpuDbContext db, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var image = await db.Images.SingleOrDefaultAsync(i => i.Name == request.Name, cancellationToken);
        var created = image is null;
        if (image is null)
        {
            image = new WorkspaceImage { Name = request.Name!, DisplayName = request.DisplayName!, CreatedAt = time.GetUtcNow() };
            db.Images.Add(image);
        }
        image.DisplayName = request.DisplayName!;
        image.Description = request.Description;
        image.Enabled = true;
        try
        {
            await audit.WriteAsync(AuditActions.ImageAdd, true, cancellationToken, target: ("image", image.Name));
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Added concurrently by another admin: the same outcome.
            created = false;
        }
        var response = new ImageResponse(image.Name, image.DisplayName, image.Description, image.Enabled);
        return created ? TypedResults.Created("/api/images", response) : TypedResults.Ok(response);
    }

    public static async Task<Results<NoContent, NotFound>> Disable(
        DisableImageRequest request, RemoteGpuDbContext db, AuditLog audit, CancellationToken cancellationToken)
    {
        var changed = await db.Images.Where(i => i.Name == request.Name)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.Enabled, false), cancellationToken);
        if (changed == 0)
        {
            return TypedResults.NotFound();
        }
        await audit.WriteAsync(AuditActions.ImageDisable, true, cancellationToken, target: ("image", request.Name!));
        return TypedResults.NoContent();
    }
}

internal sealed record ImageResponse(string Name, string DisplayName, string? Description, bool Enabled);

internal sealed record AddImageRequest(string? Name, string? DisplayName, string? Description);

internal sealed class AddImageRequestValidator : AbstractValidator<AddImageRequest>
{
    public AddImageRequestValidator()
    {
        // A Docker image reference: [host[:port]/]path[:tag][@digest], lower-case path.
        RuleFor(r => r.Name).NotEmpty().MaximumLength(256)
            .Matches(@"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$")
            .WithMessage("'{PropertyName}' must be a Docker image reference such as remotegpu/workspace:cuda12.");
        RuleFor(r => r.DisplayName).NotEmpty().MaximumLength(128);
        RuleFor(r => r.Description).MaximumLength(1024);
    }
}

internal sealed record DisableImageRequest(string? Name);

internal sealed class DisableImageRequestValidator : AbstractValidator<DisableImageRequest>
{
    public DisableImageRequestValidator() => RuleFor(r => r.Name).NotEmpty().MaximumLength(256);
}
