using System.Security.Claims;
using System.Text.Json;
using RemoteGpu.Core.Audit;
using RemoteGpu.Core.Data;

namespace RemoteGpu.Api.Auditing;

/// <summary>
/// Appends audit events from the current request: who (the caller, or the user a login was for),
/// from where (address and user agent), what, to which target, whether it succeeded. The event is
/// saved with whatever else the request changed in the same DbContext, in one SaveChanges.
/// </summary>
internal sealed class AuditLog(RemoteGpuDbContext db, IHttpContextAccessor http, TimeProvider time)
{
    public async Task WriteAsync(
        string action,
        bool success,
        CancellationToken cancellationToken,
        (string Type, string Id)? target = null,
        object? details = null,
        (Guid? Id, string? Name)? actor = null)
    {
        var context = http.HttpContext;
        var user = context?.User;
        var authenticated = user?.Identity?.IsAuthenticated == true;

        db.AuditEvents.Add(new AuditEvent
        {
            OccurredAt = time.GetUtcNow(),
            ActorId = actor?.Id ?? (authenticated && Guid.TryParse(user!.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null),
            ActorName = Truncate(actor?.Name ?? (authenticated ? user!.Identity!.Name : null), 64),
            Action = action,
            TargetType = target?.Type,
            TargetId = target?.Id,
            Address = context?.Connection.RemoteIpAddress?.ToString(),
            UserAgent = Truncate(context?.Request.Headers.UserAgent.ToString(), 512),
            Success = success,
            Details = details is null ? null : JsonSerializer.Serialize(details, JsonSerializerOptions.Web),
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    private static string? Truncate(string? value, int length) =>
        string.IsNullOrEmpty(value) ? null : value.Length <= length ? value : value[..length];
}

/// <summary>The actions the audit log records; one name per thing a person can do.</summary>
internal static class AuditActions
{
    public const string Login = "auth.login";
    public const string Logout = "auth.logout";

    /// <summary>A user ended one of their sessions from its list (<c>DELETE /api/me/sessions/{id}</c>).</summary>
    public const string SessionEnd = "auth.session_end";
    public const string EnvironmentSession = "auth.environment_session";
    public const string PasswordChange = "user.password_change";
    public const string UserCreate = "user.create";
    public const string UserDisable = "user.disable";
    public const string UserEnable = "user.enable";
    public const string TokenCreate = "token.create";
    public const string TokenRevoke = "token.revoke";
    public const string TotpEnrol = "totp.enrol";
    public const string TotpConfirm = "totp.confirm";
    public const string TotpDisable = "totp.disable";
    public const string SshKeyAdd = "ssh_key.add";
    public const string SshKeyDelete = "ssh_key.delete";
    public const string GrantCreate = "grant.create";
    public const string GrantRevoke = "grant.revoke";
    public const string EnvironmentCreate = "environment.create";
    public const string EnvironmentStop = "environment.stop";
    public const string EnvironmentStart = "environment.start";
    public const string EnvironmentDelete = "environment.delete";
    public const string EnvironmentUpdate = "environment.update";

    /// <summary>A keep-alive lease taken (the worker's own idle warnings and stops are environment.idle_warning and environment.idle_stop).</summary>
    public const string EnvironmentKeepAlive = "environment.keep_alive";
    public const string PasswordReveal = "environment.password_reveal";
    public const string PasswordReset = "environment.password_reset";
    public const string ImageAdd = "image.add";
    public const string ImageDisable = "image.disable";
}
