using FluentValidation;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RemoteGpu.Api.Auditing;
using RemoteGpu.Api.Validation;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Identity;
using RemoteGpu.Core.Provisioning;

namespace RemoteGpu.Api.Apis;

/// <summary>The caller's SSH public keys, parsed (not pattern-matched) and fingerprinted as ssh-keygen does.</summary>
internal static class SshKeysApi
{
    public const int MaximumKeysPerUser = 50;

    public static IEndpointRouteBuilder MapSshKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/me/ssh-keys").WithTags("SSH keys").RequireAuthorization(PlatformAuthentication.SignedIn);
        api.MapGet("/", ListKeys).WithName("ListSshKeys");
        api.MapPost("/", AddKey).Validate<AddSshKeyRequest>().WithName("AddSshKey");
        api.MapDelete("/{id:guid}", DeleteKey).WithName("DeleteSshKey");
        return app;
    }

    public static async Task<Ok<List<SshKeyResponse>>> ListKeys(HttpContext context, RemoteGpuDbContext db, CancellationToken cancellationToken)
    {
        var userId = context.User.UserId();
        return TypedResults.Ok(await db.SshKeys.AsNoTracking()
            .Where(k => k.UserId == userId)
            .OrderBy(k => k.CreatedAt)
            .Select(k => new SshKeyResponse(k.Id, k.Name, k.Algorithm, k.Bits, k.Fingerprint, k.PublicKey, k.CreatedAt))
            .ToListAsync(cancellationToken));
    }

    public static async Task<Results<Created<SshKeyResponse>, ValidationProblem, ProblemHttpResult>> AddKey(
        AddSshKeyRequest request, HttpContext context, RemoteGpuDbContext db, AuditLog audit, ProvisioningQueue queue, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!SshPublicKey.TryParse(request.PublicKey, out var parsed, out var error))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["public_key"] = [error] });
        }

        var userId = context.User.UserId();
        if (await db.SshKeys.CountAsync(k => k.UserId == userId, cancellationToken) >= MaximumKeysPerUser)
        {
            return AuthApi.Problem(StatusCodes.Status409Conflict, "Too many keys", $"An account holds at most {MaximumKeysPerUser} SSH keys.");
        }

        var now = time.GetUtcNow();
        var key = new SshKey
        {
            Id = Guid.CreateVersion7(now),
            UserId = userId,
            Name = (string.IsNullOrWhiteSpace(request.Name) ? parsed.Comment : request.Name.Trim()) is { Length: > 0 } name
                ? name[..Math.Min(name.Length, 128)]
                : parsed.Algorithm,
            Algorithm = parsed.Algorithm,
            Bits = parsed.Bits,
            PublicKey = parsed.CanonicalLine,
            Fingerprint = parsed.Fingerprint,
            CreatedAt = now,
        };
        db.SshKeys.Add(key);
        try
        {
            await audit.WriteAsync(AuditActions.SshKeyAdd, true, cancellationToken,
                target: ("ssh_key", key.Id.ToString()), details: new { key.Algorithm, key.Fingerprint });
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return AuthApi.Problem(StatusCodes.Status409Conflict, "Key already added", $"A key with fingerprint {parsed.Fingerprint} is already on this account.");
        }
        // The owner's keys changed: a removed key stops working in running environments too.
        await CredentialRenewal.RenewAsync(db, queue, db.Environments.Where(e => e.OwnerId == userId), cancellationToken);
        return TypedResults.Created($"/api/me/ssh-keys/{key.Id}", SshKeyResponse.From(key));
    }

    public static async Task<Results<NoContent, NotFound>> DeleteKey(
        Guid id, HttpContext context, RemoteGpuDbContext db, AuditLog audit, ProvisioningQueue queue, CancellationToken cancellationToken)
    {
        var userId = context.User.UserId();
        var key = await db.SshKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == id && k.UserId == userId, cancellationToken);
        if (key is null)
        {
            return TypedResults.NotFound();
        }
        await db.SshKeys.Where(k => k.Id == id).ExecuteDeleteAsync(cancellationToken);
        await audit.WriteAsync(AuditActions.SshKeyDelete, true, cancellationToken,
            target: ("ssh_key", id.ToString()), details: new { key.Fingerprint });
        // The owner's keys changed: a removed key stops working in running environments too.
        await CredentialRenewal.RenewAsync(db, queue, db.Environments.Where(e => e.OwnerId == userId), cancellationToken);
        return TypedResults.NoContent();
    }
}

internal sealed record SshKeyResponse(Guid Id, string Name, string Algorithm, int Bits, string Fingerprint, string PublicKey, DateTimeOffset CreatedAt)
{
    public static SshKeyResponse From(SshKey key) => new(key.Id, key.Name, key.Algorithm, key.Bits, key.Fingerprint, key.PublicKey, key.CreatedAt);
}

internal sealed record AddSshKeyRequest(string? Name, string? PublicKey);

internal sealed class AddSshKeyRequestValidator : AbstractValidator<AddSshKeyRequest>
{
    public AddSshKeyRequestValidator()
    {
        RuleFor(r => r.Name).MaximumLength(128);
        RuleFor(r => r.PublicKey).NotEmpty().MaximumLength(16 * 1024);
    }
}
