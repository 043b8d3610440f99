using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Audit;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Identity;
using StackExchange.Redis;

namespace RemoteGpu.Proxy.Edge;

/// <summary>
/// One <c>edge.access</c> audit row per user × session × environment × service, not per request:
/// a Redis <c>SET NX</c> whose lifetime is the session's decides who writes it.
/// </summary>
internal sealed class EdgeAccessAudit(
    IConnectionMultiplexer redis,
    IOptions<SecurityOptions> security,
    TimeProvider time,
    ILogger<EdgeAccessAudit> logger)
{
    public const string Action = "edge.access";

    public async Task RecordOnceAsync(HttpContext context, RemoteGpuDbContext db, string environmentId, string service, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(db);
        var user = context.User;
        var userId = user.UserId();
        var key = $"remotegpu:edge-access:{userId:N}:{SessionKey(context.Request)}:{environmentId}:{service}";
        var redisDb = redis.GetDatabase();
        if (!await redisDb.StringSetAsync(key, "1", security.Value.SessionLifetime, When.NotExists))
        {
            return;
        }

        try
        {
            db.AuditEvents.Add(new AuditEvent
            {
                OccurredAt = time.GetUtcNow(),
                ActorId = userId,
                ActorName = Truncate(user.Identity?.Name, 64),
                Action = Action,
                TargetType = "environment",
                TargetId = environmentId,
                Address = context.Connection.RemoteIpAddress?.ToString(),
                UserAgent = Truncate(context.Request.Headers.UserAgent.ToString(), 512),
                Success = true,
                Details = JsonSerializer.Serialize(new { service }, JsonSerializerOptions.Web),
            });
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (Exception)
        {
            // Unrecorded: let the next request try again rather than lose the row.
            await redisDb.KeyDeleteAsync(key);
            throw;
        }
        ProxyLog.AccessRecorded(logger, userId, environmentId, service);
    }

    /// <summary>The session the request belongs to, as a hash of its credential (bearer token or session cookie).</summary>
    private static string SessionKey(HttpRequest request)
    {
        var credential = request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(credential))
        {
            credential = request.Cookies[PlatformAuthentication.CookieName] ?? string.Empty;
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(credential)))[..32];
    }

    private static string? Truncate(string? value, int length) =>
        string.IsNullOrEmpty(value) ? null : value.Length <= length ? value : value[..length];
}
