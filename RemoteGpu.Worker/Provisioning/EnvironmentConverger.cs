using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Options;
using RemoteGpu.Worker.Health;
using RemoteGpu.Worker.Runtime;

namespace RemoteGpu.Worker.Provisioning;

/// <summary>
/// Brings one environment's container to what its row wants, and writes what it observed. Safe to
/// run any number of times for the same row, concurrently on several workers: the runtime is
/// idempotent and every status write is checked against the row version.
/// </summary>
internal sealed partial class EnvironmentConverger(
    RemoteGpuDbContext db,
    IWorkspaceRuntime runtime,
    EnvironmentSecrets secrets,
    SshProbe ssh,
    PlatformIdentity platform,
    IOptions<WorkspaceOptions> workspace,
    IOptions<PlatformOptions> platformOptions,
    TimeProvider time,
    ILogger<EnvironmentConverger> logger)
{
    private const int ConcurrencyAttempts = 5;
    private static readonly TimeSpan SshReadyTimeout = TimeSpan.FromMinutes(1);

    public async Task ConvergeAsync(string environmentId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ConvergeOnceAsync(environmentId, cancellationToken);
                return;
            }
            catch (DbUpdateConcurrencyException) when (attempt < ConcurrencyAttempts)
            {
                // The Api changed the desired state meanwhile: read the row again and go on from there.
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>Marks the environment failed with a reason the owner can read (a poison message, say).</summary>
    public async Task FailAsync(string environmentId, string reason, CancellationToken cancellationToken)
    {
        var environment = await db.Environments.SingleOrDefaultAsync(e => e.Id == environmentId, cancellationToken);
        if (environment is null || environment.Status == EnvironmentStatus.Deleted)
        {
            return;
        }
        await SetStatusAsync(environment, EnvironmentStatus.Failed, reason, cancellationToken);
    }

    private async Task ConvergeOnceAsync(string environmentId, CancellationToken cancellationToken)
    {
        var environment = await db.Environments.Include(e => e.Access).SingleOrDefaultAsync(e => e.Id == environmentId, cancellationToken);
        if (environment is null)
        {
            return;
        }

        switch (environment.DesiredState)
        {
            case DesiredState.Running:
                await RunAsync(environment, cancellationToken);
                break;
            case DesiredState.Stopped:
                await StopAsync(environment, cancellationToken);
                break;
            case DesiredState.Deleted:
                await DeleteAsync(environment, cancellationToken);
                break;
        }
    }

    private async Task RunAsync(GpuEnvironment environment, CancellationToken cancellationToken)
    {
        // A failure with a reason waits for the owner: starting it again clears the reason (the retry).
        if (environment.Status == EnvironmentStatus.Failed && environment.StatusReason is not null)
        {
            return;
        }
        var access = environment.Access ?? throw new InvalidOperationException($"{environment.Id} has no access info.");

        var starting = environment.Status != EnvironmentStatus.Running;
        if (starting)
        {
            await SetStatusAsync(environment, EnvironmentStatus.Provisioning, null, cancellationToken);
        }

        WorkspaceInstance instance;
        try
        {
            await runtime.EnsureCreatedAsync(await SpecAsync(environment, access, cancellationToken), cancellationToken);
            instance = await runtime.StartAsync(environment.Id, cancellationToken);
        }
        catch (WorkspaceImageNotFoundException ex)
        {
            await SetStatusAsync(environment, EnvironmentStatus.Failed, ex.Message, cancellationToken);
            return;
        }
        catch (PortUnavailableException ex)
        {
            await SetStatusAsync(environment, EnvironmentStatus.Failed, ex.Message, cancellationToken);
            return;
        }

        await ssh.WaitUntilReadyAsync(instance.SshPort ?? access.SshPort!.Value, SshReadyTimeout, cancellationToken);

        var renewed = false;
        if (access.AppliedCredentialsVersion == 0)
        {
            // A new container started with the current hash and keys in its environment.
            access.AppliedCredentialsVersion = access.CredentialsVersion;
        }
        else if (access.AppliedCredentialsVersion < access.CredentialsVersion)
        {
            await ApplyCredentialsAsync(environment, access, cancellationToken);
            renewed = true;
        }
        // A new Jupyter token after every start (the entrypoint voided the last one) and every renewal (a revocation
        // among them), and once a grant expired: whoever held the old token loses it.
        if (starting || renewed || access.JupyterTokenProtected is null || await GrantExpiredSinceAsync(environment.Id, access.JupyterTokenIssuedAt, cancellationToken))
        {
            await RotateJupyterTokenAsync(environment.Id, access, cancellationToken);
        }

        environment.ContainerId = instance.ContainerId;
        access.JupyterUpstream = instance.JupyterUpstream;
        access.CodeServerUpstream = instance.CodeServerUpstream;
        access.UpdatedAt = time.GetUtcNow();
        await SetStatusAsync(environment, EnvironmentStatus.Running, null, cancellationToken);
    }

    private async Task ApplyCredentialsAsync(GpuEnvironment environment, AccessInfo access, CancellationToken cancellationToken)
    {
        var password = await runtime.ExecAsync(environment.Id, ["remotegpu-entrypoint", "set-password"], access.SshPasswordHash + "\n", cancellationToken);
        var keys = await runtime.ExecAsync(environment.Id, ["remotegpu-entrypoint", "set-authorized-keys"], await AuthorizedKeysAsync(environment.OwnerId, cancellationToken), cancellationToken);
        if (password.ExitCode != 0 || keys.ExitCode != 0)
        {
            throw new WorkspaceRuntimeException($"Applying credentials in {environment.Id} failed (exit {password.ExitCode}/{keys.ExitCode}).");
        }
        access.AppliedCredentialsVersion = access.CredentialsVersion;
        LogCredentialsApplied(logger, environment.Id, access.CredentialsVersion);
    }

    /// <summary>
    /// A new token for the edge, its hash in the workspace: every earlier token (one a grantee copied from the browser's
    /// traffic, say) stops working at once. Saved with the status that follows, so the edge learns it by NOTIFY.
    /// </summary>
    private async Task RotateJupyterTokenAsync(string environmentId, AccessInfo access, CancellationToken cancellationToken)
    {
        var token = JupyterCredential.NewToken();
        await JupyterCredential.HandOverAsync(runtime, environmentId, token, cancellationToken);
        access.JupyterTokenProtected = secrets.Protect(token);
        access.JupyterTokenIssuedAt = time.GetUtcNow();
        LogJupyterTokenRotated(logger, environmentId);
    }

    /// <summary>Whether a grant on the environment expired after the current token was issued: its holder may have seen it.</summary>
    private Task<bool> GrantExpiredSinceAsync(string environmentId, DateTimeOffset? issuedAt, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return db.EnvironmentGrants.AnyAsync(g => g.EnvironmentId == environmentId && g.ExpiresAt <= now && (issuedAt == null || g.ExpiresAt > issuedAt), cancellationToken);
    }

    private async Task StopAsync(GpuEnvironment environment, CancellationToken cancellationToken)
    {
        if (environment.Status is EnvironmentStatus.Stopped)
        {
            return;
        }
        // The stop's reason, if it had one (the idle culler's), stays for the owner to read.
        await SetStatusAsync(environment, EnvironmentStatus.Stopping, environment.StatusReason, cancellationToken);
        await runtime.StopAsync(environment.Id, cancellationToken);
        if (environment.Access is { } access)
        {
            access.JupyterUpstream = null;
            access.CodeServerUpstream = null;
        }
        await SetStatusAsync(environment, EnvironmentStatus.Stopped, environment.StatusReason, cancellationToken);
    }

    private async Task DeleteAsync(GpuEnvironment environment, CancellationToken cancellationToken)
    {
        if (environment.Status is EnvironmentStatus.Deleted)
        {
            return;
        }
        await SetStatusAsync(environment, EnvironmentStatus.Deleting, null, cancellationToken);
        await runtime.RemoveAsync(environment.Id, cancellationToken);

        // The container and volume are gone: give back the port and GPUs, forget the secrets.
        await ResourceAllocator.ReleaseAsync(db, environment.Id, cancellationToken);
        if (environment.Access is { } access)
        {
            db.AccessInfos.Remove(access);
        }
        environment.ContainerId = null;
        await SetStatusAsync(environment, EnvironmentStatus.Deleted, null, cancellationToken);
    }

    private async Task SetStatusAsync(GpuEnvironment environment, EnvironmentStatus status, string? reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (environment.Status != status)
        {
            LogTransition(logger, environment.Id, environment.Status, status);
            environment.StatusChangedAt = now;
        }
        environment.Status = status;
        environment.StatusReason = reason;
        environment.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task<WorkspaceSpec> SpecAsync(GpuEnvironment environment, AccessInfo access, CancellationToken cancellationToken) => new()
    {
        EnvironmentId = environment.Id,
        PlatformId = await platform.GetAsync(cancellationToken),
        OwnerId = environment.OwnerId,
        OwnerName = await db.Users.Where(u => u.Id == environment.OwnerId).Select(u => u.UserName).SingleAsync(cancellationToken),
        Image = environment.Image,
        CpuCores = environment.CpuCores,
        MemoryMb = environment.MemoryMb,
        GpuDeviceIds = await ResourceAllocator.GpusOfAsync(db, environment.Id, cancellationToken),
        SshHostPort = access.SshPort ?? throw new InvalidOperationException($"{environment.Id} has no SSH port."),
        PasswordHash = access.SshPasswordHash,
        AuthorizedKeys = await AuthorizedKeysAsync(environment.OwnerId, cancellationToken),
        // Jupyter answers only pages of the environment's own host (the edge refuses other origins first).
        JupyterAllowOrigin = new Uri(platformOptions.Value.EnvironmentUrl(environment.Id, "/")).GetLeftPart(UriPartial.Authority),
        CodeServerPassword = access.CodeServerPasswordProtected is null ? null : secrets.Unprotect(access.CodeServerPasswordProtected),
        UserName = workspace.Value.UserName,
    };

    private async Task<string> AuthorizedKeysAsync(Guid ownerId, CancellationToken cancellationToken) =>
        string.Join('\n', await db.SshKeys.Where(k => k.UserId == ownerId).OrderBy(k => k.CreatedAt).Select(k => k.PublicKey).ToListAsync(cancellationToken));

    [LoggerMessage(EventId = WorkerEventIds.StatusChanged, Level = LogLevel.Information, Message = "{EnvironmentId}: {From} -> {To}")]
    private static partial void LogTransition(ILogger logger, string environmentId, EnvironmentStatus from, EnvironmentStatus to);

    [LoggerMessage(EventId = WorkerEventIds.JupyterTokenRotated, Level = LogLevel.Information, Message = "{EnvironmentId}: the edge's Jupyter token replaced")]
    private static partial void LogJupyterTokenRotated(ILogger logger, string environmentId);

    [LoggerMessage(EventId = WorkerEventIds.CredentialsApplied, Level = LogLevel.Information, Message = "{EnvironmentId}: credentials version {Version} applied")]
    private static partial void LogCredentialsApplied(ILogger logger, string environmentId, int version);
}
