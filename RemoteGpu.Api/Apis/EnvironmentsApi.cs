using System.Text.Json;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RemoteGpu.Api.Auditing;
using RemoteGpu.Api.Environments;
using RemoteGpu.Api.Validation;
using RemoteGpu.Core.Credentials;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Health;
using RemoteGpu.Core.Idle;
using RemoteGpu.Core.Identity;
using RemoteGpu.Core.Options;
using RemoteGpu.Core.Provisioning;
using StackExchange.Redis;

namespace RemoteGpu.Api.Apis;

/// <summary>
/// Environments: create (202, with the access info and its secrets this one time), list, read,
/// stop, start, delete, reveal and reset the SSH password. The Api writes desired state and hints
/// the workers; it never talks to Docker.
/// </summary>
internal static class EnvironmentsApi
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public static IEndpointRouteBuilder MapEnvironmentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/environments").WithTags("Environments").RequireAuthorization(PlatformAuthentication.SignedIn);
        api.MapPost("/", Create).Validate<CreateEnvironmentRequest>().WithName("CreateEnvironment")
            .WithSummary("Create an environment. The response carries the SSH password, Jupyter token and code-server password once.");
        api.MapGet("/", List).WithName("ListEnvironments");
        api.MapGet("/{id}", Get).WithName("GetEnvironment");
        api.MapPatch("/{id}", Update).Validate<UpdateEnvironmentRequest>().WithName("UpdateEnvironment").WithSummary("Change its idle timeout (idle_timeout_minutes; 0: never, where the policy allows).");
        api.MapGet("/{id}/activity", GetActivity).WithName("GetEnvironmentActivity").WithSummary("The last activity of each source and the idle verdict: what keeps it running, or when it stops and why.");
        api.MapPost("/{id}/keep-alive", KeepAlive).Validate<KeepAliveRequest>().WithName("KeepEnvironmentAlive").WithSummary("A keep-alive lease: not stopped for being idle before 'until' (capped by policy).");
        api.MapGet("/{id}/health", GetHealth).WithName("GetEnvironmentHealth").WithSummary("What the health checks concluded, each check's state and the last changes and repairs.");
        api.MapGet("/{id}/access", GetAccess).WithName("GetEnvironmentAccess").WithSummary("How to reach it; no secrets.");
        api.MapPost("/{id}/stop", Stop).WithName("StopEnvironment");
        api.MapPost("/{id}/start", Start).WithName("StartEnvironment");
        api.MapDelete("/{id}", Delete).WithName("DeleteEnvironment");
        api.MapPost("/{id}/credentials/reveal", Reveal).WithName("RevealPassword").WithSummary("The SSH password, once, within 24 h of its creation.");
        api.MapPost("/{id}/credentials/reset", Reset).WithName("ResetPassword").WithSummary("A new SSH password, applied inside the running container.");
        return app;
    }

    public static async Task<Results<Accepted<CreatedEnvironmentResponse>, ProblemHttpResult, ValidationProblem>> Create(
        CreateEnvironmentRequest request,
        [FromHeader(Name = IdempotencyHeader)] string? idempotencyKey,
        [AsParameters] EnvironmentServices services,
        CancellationToken cancellationToken)
    {
        var userId = services.Http.HttpContext!.User.UserId();
        if (idempotencyKey is { Length: 0 or > 128 })
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [IdempotencyHeader] = ["The Idempotency-Key header must be 1–128 characters."] });
        }
        if (idempotencyKey is not null && !await services.OneTime.TryBeginAsync(userId, idempotencyKey))
        {
            var (_, stored) = await services.OneTime.FindAsync(userId, idempotencyKey);
            return stored is null
                ? AuthApi.Problem(StatusCodes.Status409Conflict, "Request in progress", "A create with this Idempotency-Key is still running; retry shortly.")
                : Accepted(JsonSerializer.Deserialize<CreatedEnvironmentResponse>(stored, services.Json.Value.SerializerOptions)!);
        }

        try
        {
            var result = await CreateCoreAsync(request, userId, services, cancellationToken);
            if (idempotencyKey is not null)
            {
                if (result.Result is Accepted<CreatedEnvironmentResponse> { Value: { } created })
                {
                    await services.OneTime.CompleteAsync(userId, idempotencyKey, JsonSerializer.Serialize(created, services.Json.Value.SerializerOptions));
                }
                else
                {
                    await services.OneTime.AbandonAsync(userId, idempotencyKey);
                }
            }
            return result;
        }
        catch when (idempotencyKey is not null)
        {
            await services.OneTime.AbandonAsync(userId, idempotencyKey);
            throw;
        }
    }

    private static async Task<Results<Accepted<CreatedEnvironmentResponse>, ProblemHttpResult, ValidationProblem>> CreateCoreAsync(
        CreateEnvironmentRequest request, Guid userId, EnvironmentServices services, CancellationToken cancellationToken)
    {
        var db = services.Db;
        var image = await db.Images.AsNoTracking().SingleOrDefaultAsync(i => i.Name == request.Image && i.Enabled, cancellationToken);
        if (image is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["image"] = ["Not an image on the list (GET /api/images)."] });
        }

        var placement = services.Placement.Value;
        var now = services.Time.GetUtcNow();
        var (password, passwordHash) = services.Credentials.Take();
        var codeServerPassword = CredentialGenerator.NewToken();
        var environment = new GpuEnvironment
        {
            Id = CredentialGenerator.NewEnvironmentId(),
            OwnerId = userId,
            Name = request.Name!,
            Image = image.Name,
            GpuCount = request.GpuCount!.Value,
            CpuCores = request.CpuCores!.Value,
            MemoryMb = request.MemoryMb!.Value,
            IdleTimeoutMinutes = request.IdleTimeoutMinutes,
            DesiredState = DesiredState.Running,
            Status = EnvironmentStatus.Pending,
            HostName = placement.HostName,
            CreatedAt = now,
            UpdatedAt = now,
            StatusChangedAt = now,
        };

        // Redis first: when it is away the create is refused (503) before anything is written; the hint sent after the
        // commit may be lost, the reconciler sends it.
        await services.OneTime.StorePasswordAsync(environment.Id, password);
        int sshPort;
        try
        {
            var strategy = db.Database.CreateExecutionStrategy();
            sshPort = await strategy.ExecuteAsync(async ct =>
            {
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                db.Environments.Add(environment);
                await db.SaveChangesAsync(ct);
                var port = await ResourceAllocator.AllocateSshPortAsync(db, placement, environment.Id, ct);
                await ResourceAllocator.AllocateGpusAsync(db, placement, environment.Id, environment.GpuCount, ct);
                db.AccessInfos.Add(new AccessInfo
                {
                    EnvironmentId = environment.Id,
                    SshHost = services.SshHost(environment.Id),
                    SshPort = port,
                    SshUsername = services.Workspace.Value.UserName,
                    SshPasswordHash = passwordHash,
                    PasswordExpiresAt = now + OneTimeSecrets.RevealLifetime,
                    CodeServerPasswordProtected = services.Secrets.Protect(codeServerPassword),
                    CreatedAt = now,
                    UpdatedAt = now,
                });
                await services.Audit.WriteAsync(AuditActions.EnvironmentCreate, true, ct, target: ("environment", environment.Id),
                    details: new { environment.Name, environment.Image, environment.GpuCount, environment.CpuCores, environment.MemoryMb, environment.IdleTimeoutMinutes });
                await transaction.CommitAsync(ct);
                return port;
            }, cancellationToken);
        }
        catch (CapacityExhaustedException ex)
        {
            await ForgetAsync(services.OneTime, environment.Id);
            db.ChangeTracker.Clear();
            await services.Audit.WriteAsync(AuditActions.EnvironmentCreate, false, cancellationToken, details: new { reason = ex.Message });
            return AuthApi.Problem(StatusCodes.Status409Conflict, "No capacity", ex.Message);
        }
        catch
        {
            await ForgetAsync(services.OneTime, environment.Id);
            throw;
        }

        await services.Queue.SendAsync(environment.Id, ProvisioningReasons.Create);

        var access = await db.AccessInfos.AsNoTracking().SingleAsync(a => a.EnvironmentId == environment.Id, cancellationToken);
        return Accepted(new CreatedEnvironmentResponse(
            await services.ToResponseAsync(environment, cancellationToken),
            new AccessInfoResponse(
                new SshAccess(access.SshHost, sshPort, access.SshUsername, password, SshCommand(access, sshPort)),
                new WebAccess(services.PlatformOptions.Value.EnvironmentUrl(environment.Id, "/jupyter/"), null, null),
                new WebAccess(services.PlatformOptions.Value.EnvironmentUrl(environment.Id, "/code/"), null, codeServerPassword)),
            access.PasswordExpiresAt,
            "The password and code-server password are shown once (Jupyter needs none: the edge signs you in). Reveal the password once more within 24 hours with POST /api/environments/{id}/credentials/reveal, or add an SSH key."));
    }

    public static async Task<Ok<List<EnvironmentResponse>>> List(
        string? owner, string? status, [AsParameters] EnvironmentServices services, CancellationToken cancellationToken)
    {
        var caller = services.Http.HttpContext!.User;
        var userId = caller.UserId();
        var now = services.Time.GetUtcNow();
        var query = services.Db.Environments.AsNoTracking().Include(e => e.Owner).Include(e => e.Health).Where(e => e.Status != EnvironmentStatus.Deleted);
        if (!caller.IsInRole(Roles.Admin))
        {
            query = query.Where(e => e.OwnerId == userId
                || services.Db.EnvironmentGrants.Any(g => g.EnvironmentId == e.Id && g.UserId == userId && g.ExpiresAt > now));
        }
        if (!string.IsNullOrWhiteSpace(owner))
        {
            var ownerName = owner.Trim().ToLowerInvariant();
            query = query.Where(e => e.Owner!.UserName == ownerName);
        }
        if (Enum.TryParse<EnvironmentStatus>(status, ignoreCase: true, out var wanted))
        {
            query = query.Where(e => e.Status == wanted);
        }

        var rows = await query.OrderByDescending(e => e.CreatedAt).Take(500).ToListAsync(cancellationToken);
        return TypedResults.Ok(rows.Select(e => services.ToResponse(e, e.Owner!.UserName)).ToList());
    }

    public static async Task<Results<Ok<EnvironmentResponse>, NotFound>> Get(string id, [AsParameters] EnvironmentServices services, CancellationToken cancellationToken)
    {
        if (await services.RightAsync(id, cancellationToken) == EnvironmentRight.None)
        {
            return TypedResults.NotFound();
        }
        var environment = await services.Db.Environments.AsNoTracking().Include(e => e.Health).SingleAsync(e => e.Id == id, cancellationToken);
        return TypedResults.Ok(await services.ToResponseAsync(environment, cancellationToken));
    }

    public static async Task<Results<Ok<EnvironmentResponse>, NotFound, ProblemHttpResult>> Update(
        string id, UpdateEnvironmentRequest request, [AsParameters] EnvironmentServices services, CancellationToken cancellationToken)
    {
        var right = await services.RightAsync(id, cancellationToken);
        if (right == EnvironmentRight.None)
        {
            return TypedResults.NotFound();
        }
        if (right < EnvironmentRight.Manage)
        {
            return AuthApi.Problem(StatusCodes.Status403Forbidden, "Not the owner", "Only the environment's owner or an administrator may change it.");
        }
        await services.Db.Environments.Where(e => e.Id == id).ExecuteUpdateAsync(s => s
            .SetProperty(e => e.IdleTimeoutMinutes, request.IdleTimeoutMinutes)
            .SetProperty(e => e.UpdatedAt, services.Time.GetUtcNow()), cancellationToken);
        await services.Audit.WriteAsync(AuditActions.EnvironmentUpdate, true, cancellationToken, target: ("environment", id),
            details: new { idle_timeout_minutes = request.IdleTimeoutMinutes });
        var environment = await services.Db.Environments.AsNoTracking().Include(e => e.Health).SingleAsync(e => e.Id == id, cancellationToken);
        return TypedResults.Ok(await services.ToResponseAsync(environment, cancellationToken));
    }

    public static async Task<Results<Ok<ActivityResponse>, NotFound>> GetActivity(string id, [AsParameters] EnvironmentServices services, CancellationToken cancellationToken)
    {
        if (await services.RightAsync(id, cancellationToken) == EnvironmentRight.None)
        {
            return TypedResults.NotFound();
        }
        var environment = await services.Db.Environments.AsNoTracking().Include(e => e.Activity).SingleAsync(e => e.Id == id, cancellationToken);
        var activity = environment.Activity;
        var running = environment.Status == EnvironmentStatus.Running;
        var timeout = environment.IdleTimeoutMinutes ?? (int)Math.Ceiling(services.Idle.Value.DefaultTimeout.TotalMinutes);
        return TypedResults.Ok(new ActivityResponse(
            timeout,
            environment.IdleTimeoutMinutes is null,
            environment.KeepAliveUntil,
            running ? Name(activity?.State ?? IdleState.Unknown) : environment.StatusReason?.StartsWith(IdleVerdict.StopReasonPrefix, StringComparison.Ordinal) == true ? "stopped" : "not_running",
            running ? activity?.Verdict : environment.StatusReason,
            activity?.IdleSince,
            running ? activity?.StopAt : null,
            activity?.WarnedAt,
            activity?.IdleGpuHeldSince,
            activity?.CheckedAt,
            [.. (activity?.Sources ?? []).OrderByDescending(a => a.LastActiveAt).Select(a => new ActivitySourceResponse(a.Source, a.LastActiveAt, a.Detail))]));

        static string Name(IdleState state) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(state.ToString());
    }

    public static async Task<Results<Ok<ActivityResponse>, NotFound, ProblemHttpResult>> KeepAlive(
        string id, KeepAliveRequest request, [AsParameters] EnvironmentServices services, CancellationToken cancellationToken)
    {
        // Owners and grantees alike: whoever runs the overnight job knows it must not be stopped.
        if (await services.RightAsync(id, cancellationToken) == EnvironmentRight.None)
        {
            return TypedResults.NotFound();
        }
        await services.Db.Environments.Where(e => e.Id == id).ExecuteUpdateAsync(s => s
            .SetProperty(e => e.KeepAliveUntil, request.Until)
            .SetProperty(e => e.UpdatedAt, services.Time.GetUtcNow()), cancellationToken);
        await services.Audit.WriteAsync(AuditActions.EnvironmentKeepAlive, true, cancellationToken, target: ("environment", id), details: new { until = request.Until });
        return await GetActivity(id, services, cancellationToken) switch
        {
            { Result: Ok<ActivityResponse> ok } => ok,
            _ => TypedResults.NotFound(),
        };
    }

    public static async Task<Results<Ok<HealthResponse>, NotFound>> GetHealth(string id, [AsParameters] EnvironmentServices services, CancellationToken cancellationToken)
    {
        if (await services.RightAsync(id, cancellationToken) == EnvironmentRight.None)
        {
            return TypedResults.NotFound();
        }
        var environment = await services.Db.Environments.AsNoTracking().Include(e => e.Health).SingleAsync(e => e.Id == id, cancellationToken);
        var health = environment.Health;
        return TypedResults.Ok(new HealthResponse(
            EnvironmentServices.OverallOf(environment),
            health?.CheckedAt,
            health?.Repairs ?? 0,
            environment.Status == EnvironmentStatus.Running
                ? [.. (health?.Checks ?? []).Select(c => new HealthCheckResponse(c.Name, Name(c.State), c.Since, c.CheckedAt, c.LastError))]
                : [],
            [.. (health?.History ?? []).Select(h => new HealthEventResponse(h.At, h.Kind, h.Check, h.From is { } from ? Name(from) : null, h.To is { } to ? Name(to) : null, h.Detail))]));

        static string Name(HealthState state) => state.ToString().ToLowerInvariant();
    }

    public static async Task<Results<Ok<AccessInfoResponse>, NotFound>> GetAccess(string id, [AsParameters] EnvironmentServices services, CancellationToken cancellationToken)
    {
        if (await services.RightAsync(id, cancellationToken) == EnvironmentRight.None)
        {
            return TypedResults.NotFound();
        }
        var access = await services.Db.AccessInfos.AsNoTracking().SingleAsync(a => a.EnvironmentId == id, cancellationToken);
        var platform = services.PlatformOptions.Value;
        return TypedResults.Ok(new AccessInfoResponse(
            new SshAccess(access.SshHost, access.SshPort!.Value, access.SshUsername, null, SshCommand(access, access.SshPort.Value)),
            new WebAccess(platform.EnvironmentUrl(id, "/jupyter/"), null, null),
            new WebAccess(platform.EnvironmentUrl(id, "/code/"), null, null)));
    }

    public static Task<Results<Accepted<EnvironmentResponse>, NotFound, ProblemHttpResult>> Stop(string id, [AsParameters] EnvironmentServices services, CancellationToken cancellationToken) =>
        ChangeDesiredStateAsync(id, DesiredState.Stopped, EnvironmentRight.Manage, AuditActions.EnvironmentStop, ProvisioningReasons.Stop, services, cancellationToken);

    public static Task<Results<Accepted<EnvironmentResponse>, NotFound, ProblemHttpResult>> Start(string id, [AsParameters] EnvironmentServices services, CancellationToken cancellationToken) =>
        ChangeDesiredStateAsync(id, DesiredState.Running, EnvironmentRight.Manage, AuditActions.EnvironmentStart, ProvisioningReasons.Start, services, cancellationToken);

    public static async Task<Results<Accepted<EnvironmentResponse>, NoContent, NotFound, ProblemHttpResult>> Delete(string id, [AsParameters] EnvironmentServices services, CancellationToken cancellationToken)
    {
        // Deleting what is already deleted succeeds: a retried DELETE must not fail.
        var caller = services.Http.HttpContext!.User;
        var deleted = await services.Db.Environments.AsNoTracking().AnyAsync(
            e => e.Id == id && e.Status == EnvironmentStatus.Deleted && (e.OwnerId == caller.UserId() || caller.IsInRole(Roles.Admin)), cancellationToken);
        if (deleted)
        {
            return TypedResults.NoContent();
        }

        var result = await ChangeDesiredStateAsync(id, DesiredState.Deleted, EnvironmentRight.Manage, AuditActions.EnvironmentDelete, ProvisioningReasons.Delete, services, cancellationToken);
        if (result.Result is Accepted<EnvironmentResponse>)
        {
            await services.OneTime.ForgetPasswordAsync(id);
        }
        return result.Result switch
        {
            Accepted<EnvironmentResponse> accepted => accepted,
            NotFound notFound => notFound,
            ProblemHttpResult problem => problem,
            _ => throw new InvalidOperationException("Unexpected result."),
        };
    }

    private static async Task<Results<Accepted<EnvironmentResponse>, NotFound, ProblemHttpResult>> ChangeDesiredStateAsync(
        string id, DesiredState desired, EnvironmentRight needed, string action, string reason, EnvironmentServices services, CancellationToken cancellationToken)
    {
        var right = await services.RightAsync(id, cancellationToken);
        if (right == EnvironmentRight.None)
        {
            return TypedResults.NotFound();
        }
        if (right < needed)
        {
            return AuthApi.Problem(StatusCodes.Status403Forbidden, "Not the owner", "Only the environment's owner or an administrator may do this.");
        }

        // One conditional UPDATE, not a read-modify-write of the tracked row: the worker writes the
        // observed status of the same row concurrently, and must not turn a user's stop or delete into
        // a conflict. The worker's own next write then fails its row-version check, and it re-reads.
        var now = services.Time.GetUtcNow();
        var changed = await services.Db.Environments
            .Where(e => e.Id == id && e.DesiredState != DesiredState.Deleted)
            .ExecuteUpdateAsync(s => s
                .SetProperty(e => e.DesiredState, desired)
                .SetProperty(e => e.UpdatedAt, now)
                // Starting a failed environment is the retry DESIGN.md §4 promises.
                // A stop by its owner needs no reason; one left by the idle culler's stop goes.
                .SetProperty(e => e.StatusReason, e => desired == DesiredState.Stopped || (desired == DesiredState.Running && e.Status == EnvironmentStatus.Failed) ? null : e.StatusReason),
                cancellationToken);
        var environment = await services.Db.Environments.AsNoTracking().SingleAsync(e => e.Id == id, cancellationToken);
        if (changed == 0 && desired != DesiredState.Deleted)
        {
            return AuthApi.Problem(StatusCodes.Status409Conflict, "Being deleted", "The environment is being deleted.");
        }
        if (desired == DesiredState.Running && environment.Status == EnvironmentStatus.Failed)
        {
            // The retry: self-healing gets its repairs again.
            await services.Db.EnvironmentHealth.Where(h => h.EnvironmentId == id).ExecuteUpdateAsync(s => s.SetProperty(h => h.Repairs, 0), cancellationToken);
        }
        await services.Audit.WriteAsync(action, true, cancellationToken, target: ("environment", id));
        await services.Queue.SendAsync(id, reason);
        return TypedResults.Accepted($"/api/environments/{id}", await services.ToResponseAsync(environment, cancellationToken));
    }

    public static async Task<Results<Ok<RevealedPasswordResponse>, NotFound, ProblemHttpResult>> Reveal(string id, [AsParameters] EnvironmentServices services, CancellationToken cancellationToken)
    {
        var right = await services.RightAsync(id, cancellationToken);
        if (right == EnvironmentRight.None)
        {
            return TypedResults.NotFound();
        }
        var isOwner = await services.Db.Environments.AnyAsync(e => e.Id == id && e.OwnerId == services.Http.HttpContext!.User.UserId(), cancellationToken);
        if (!isOwner)
        {
            return AuthApi.Problem(StatusCodes.Status403Forbidden, "Not the owner", "Only the owner may reveal the password.");
        }

        var password = await services.OneTime.TakePasswordAsync(id);
        await services.Audit.WriteAsync(AuditActions.PasswordReveal, password is not null, cancellationToken, target: ("environment", id));
        return password is null
            ? AuthApi.Problem(StatusCodes.Status410Gone, "Already revealed or expired", "The password can be revealed once within 24 hours of its creation. Reset it for a new one.")
            : TypedResults.Ok(new RevealedPasswordResponse(password));
    }

    public static async Task<Results<Accepted<ResetPasswordResponse>, NotFound, ProblemHttpResult>> Reset(string id, [AsParameters] EnvironmentServices services, CancellationToken cancellationToken)
    {
        var right = await services.RightAsync(id, cancellationToken);
        if (right == EnvironmentRight.None)
        {
            return TypedResults.NotFound();
        }
        if (right < EnvironmentRight.Manage)
        {
            return AuthApi.Problem(StatusCodes.Status403Forbidden, "Not the owner", "Only the environment's owner or an administrator may reset its password.");
        }

        var (password, passwordHash) = services.Credentials.Take();
        var now = services.Time.GetUtcNow();
        var access = await services.Db.AccessInfos.SingleAsync(a => a.EnvironmentId == id, cancellationToken);
        access.SshPasswordHash = passwordHash;
        access.CredentialsVersion++;
        access.PasswordExpiresAt = now + OneTimeSecrets.RevealLifetime;
        access.UpdatedAt = now;
        await services.Audit.WriteAsync(AuditActions.PasswordReset, true, cancellationToken, target: ("environment", id));
        await services.OneTime.StorePasswordAsync(id, password);
        await services.Queue.SendAsync(id, ProvisioningReasons.Credentials);
        return TypedResults.Accepted($"/api/environments/{id}/access", new ResetPasswordResponse(password, access.PasswordExpiresAt));
    }

    private static Accepted<CreatedEnvironmentResponse> Accepted(CreatedEnvironmentResponse response) =>
        TypedResults.Accepted($"/api/environments/{response.Environment.Id}", response);

    private static string SshCommand(AccessInfo access, int port) => $"ssh -p {port} {access.SshUsername}@{access.SshHost}";
    /// <summary>The password of an environment whose row was not written goes with it, where Redis lets it.</summary>
    private static async Task ForgetAsync(OneTimeSecrets oneTime, string environmentId)
    {
        try
        {
            await oneTime.ForgetPasswordAsync(environmentId);
        }
        catch (RedisException)
        {
            // Redis is away as well; the reveal expires with its lifetime.
        }
    }
}

internal sealed record EnvironmentServices(
    RemoteGpuDbContext Db,
    AuditLog Audit,
    ProvisioningQueue Queue,
    OneTimeSecrets OneTime,
    CredentialPool Credentials,
    EnvironmentSecrets Secrets,
    IOptions<PlatformOptions> PlatformOptions,
    IOptions<PlacementOptions> Placement,
    IOptions<IdleOptions> Idle,
    IOptions<WorkspaceOptions> Workspace,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> Json,
    IHttpContextAccessor Http,
    TimeProvider Time)
{
    public Task<EnvironmentRight> RightAsync(string id, CancellationToken cancellationToken) =>
        EnvironmentAccess.ResolveAsync(Db, Http.HttpContext!.User, id, Time.GetUtcNow(), cancellationToken);

    public string SshHost(string environmentId) => Workspace.Value.SshHost ?? PlatformOptions.Value.EnvironmentHost(environmentId);

    public async Task<EnvironmentResponse> ToResponseAsync(GpuEnvironment environment, CancellationToken cancellationToken) =>
        ToResponse(environment, await Db.Users.Where(u => u.Id == environment.OwnerId).Select(u => u.UserName).SingleAsync(cancellationToken));

    public EnvironmentResponse ToResponse(GpuEnvironment e, string ownerName) =>
        new(e.Id, e.Name, ownerName, e.Image, e.GpuCount, e.CpuCores, e.MemoryMb,
            e.DesiredState.ToString().ToLowerInvariant(), e.Status.ToString().ToLowerInvariant(), e.StatusReason, OverallOf(e),
            e.IdleTimeoutMinutes, e.KeepAliveUntil, PlatformOptions.Value.EnvironmentHost(e.Id), e.CreatedAt, e.UpdatedAt);

    /// <summary>The health checks' verdict while the environment runs (loaded with it); <c>unknown</c> otherwise.</summary>
    public static string OverallOf(GpuEnvironment e) =>
        (e.Status == EnvironmentStatus.Running && e.Health is { } health ? health.Overall : HealthState.Unknown).ToString().ToLowerInvariant();
}

internal sealed record EnvironmentResponse(
    string Id, string Name, string Owner, string Image, int GpuCount, decimal CpuCores, int MemoryMb,
    string DesiredState, string Status, string? StatusReason, string Health, int? IdleTimeoutMinutes, DateTimeOffset? KeepAliveUntil,
    string Domain, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

internal sealed record ActivityResponse(
    int IdleTimeoutMinutes, bool IdleTimeoutIsDefault, DateTimeOffset? KeepAliveUntil, string State, string? Verdict,
    DateTimeOffset? IdleSince, DateTimeOffset? StopAt, DateTimeOffset? WarnedAt, DateTimeOffset? IdleGpuHeldSince, DateTimeOffset? CheckedAt,
    List<ActivitySourceResponse> Sources);

internal sealed record ActivitySourceResponse(string Source, DateTimeOffset LastActiveAt, string? Detail);

internal sealed record HealthResponse(string Overall, DateTimeOffset? CheckedAt, int Repairs, List<HealthCheckResponse> Checks, List<HealthEventResponse> History);

internal sealed record HealthCheckResponse(string Name, string State, DateTimeOffset Since, DateTimeOffset? CheckedAt, string? LastError);

internal sealed record HealthEventResponse(DateTimeOffset At, string Kind, string Check, string? From, string? To, string? Detail);

internal sealed record CreatedEnvironmentResponse(EnvironmentResponse Environment, AccessInfoResponse AccessInfo, DateTimeOffset? PasswordExpiresAt, string Note);

internal sealed record AccessInfoResponse(SshAccess Ssh, WebAccess Jupyter, WebAccess CodeServer);

internal sealed record SshAccess(string Host, int Port, string Username, string? Password, string Command);

internal sealed record WebAccess(string Url, string? Token, string? Password);

internal sealed record RevealedPasswordResponse(string Password);

internal sealed record ResetPasswordResponse(string Password, DateTimeOffset? PasswordExpiresAt);

internal sealed record CreateEnvironmentRequest(string? Name, string? Image, int? GpuCount, decimal? CpuCores, int? MemoryMb, int? IdleTimeoutMinutes);

internal sealed record UpdateEnvironmentRequest(int? IdleTimeoutMinutes);

internal sealed record KeepAliveRequest(DateTimeOffset? Until);

internal static class IdleRules
{
    /// <summary>Within the policy's maximum; 0 (never) only where the policy allows it.</summary>
    public static IRuleBuilderOptions<T, int?> IdleTimeout<T>(this IRuleBuilder<T, int?> rule, IdleOptions idle) =>
        rule.InclusiveBetween(0, idle.MaxTimeoutMinutes)
            .Must(minutes => minutes != 0 || idle.AllowNever)
            .WithMessage("'{PropertyName}' may not be 0 (never stopped for being idle): this platform's policy does not allow it.");
}

internal sealed class UpdateEnvironmentRequestValidator : AbstractValidator<UpdateEnvironmentRequest>
{
    public UpdateEnvironmentRequestValidator(IOptions<IdleOptions> idle) =>
        RuleFor(r => r.IdleTimeoutMinutes).NotNull().IdleTimeout(idle.Value);
}

internal sealed class KeepAliveRequestValidator : AbstractValidator<KeepAliveRequest>
{
    public KeepAliveRequestValidator(IOptions<IdleOptions> idle, TimeProvider time)
    {
        var longest = idle.Value.MaxKeepAlive;
        RuleFor(r => r.Until).NotNull()
            .Must(until => until > time.GetUtcNow()).WithMessage("'{PropertyName}' must be in the future.")
            .Must(until => until <= time.GetUtcNow() + longest)
            .WithMessage($"'{{PropertyName}}' may be at most {longest.TotalHours:0.#} hours from now (this platform's policy).");
    }
}

internal sealed class CreateEnvironmentRequestValidator : AbstractValidator<CreateEnvironmentRequest>
{
    public CreateEnvironmentRequestValidator(IOptions<EnvironmentLimits> limits, IOptions<IdleOptions> idle)
    {
        RuleFor(r => r.IdleTimeoutMinutes).IdleTimeout(idle.Value).When(r => r.IdleTimeoutMinutes is not null);
        var l = limits.Value;
        RuleFor(r => r.Name).NotEmpty().MaximumLength(63)
            .Matches("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$").WithMessage("'{PropertyName}' must be lower-case letters, digits and '-', starting and ending with a letter or digit.");
        RuleFor(r => r.Image).NotEmpty().MaximumLength(256);
        RuleFor(r => r.GpuCount).NotNull().InclusiveBetween(0, l.MaxGpuCount);
        RuleFor(r => r.CpuCores).NotNull().InclusiveBetween(l.MinCpuCores, l.MaxCpuCores);
        RuleFor(r => r.MemoryMb).NotNull().InclusiveBetween(l.MinMemoryMb, l.MaxMemoryMb);
    }
}
