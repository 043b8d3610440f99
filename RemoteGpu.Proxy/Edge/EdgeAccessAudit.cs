using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;
using RemoteGpu.Core.Audit;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Identity;
using StackExchange.Redis;

namespace RemoteGpu.Proxy.Edge;

/// <summary>
/// One <c>edge.access</c> audit row per user × session × environment × service, not per request:
/// a Redis <c>SET NX</c> whose lifetime is the session's decides, across every edge instance, who
/// writes it, and each instance remembers for a while what is already recorded, so a session's
/// later requests cost neither a Redis round trip nor a query. An access that cannot be recorded
/// (Redis or Postgres down) is refused with 503, not served unaudited.
/// </summary>
internal sealed class EdgeAccessAudit(
    IConnectionMultiplexer redis,
    IOptions<SecurityOptions> security,
    TimeProvider time,
    ILogger<EdgeAccessAudit> logger) : IDisposable
{
    public const string Action = "edge.access";

    /// <summary>How long an instance trusts its own memory before asking Redis again.</summary>
    private static readonly TimeSpan RememberFor = TimeSpan.FromMinutes(10);

    /// <summary>The context retries transient failures; a request does not wait longer than this for its audit row.</summary>
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(5);

    private readonly MemoryCache _recorded = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    public async Task RecordOnceAsync(HttpContext context, string environmentId, string service, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var user = context.User;
        var userId = user.UserId();
        var key = $"remotegpu:edge-access:{userId:N}:{SessionKey(context.Request)}:{environmentId}:{service}";
        if (_recorded.TryGetValue(key, out _))
        {
            return;
        }

        var redisDb = redis.GetDatabase();
        bool first;
        try
        {
            first = await redisDb.StringSetAsync(key, "1", security.Value.SessionLifetime, When.NotExists);
        }
        catch (RedisException ex)
        {
            throw new EdgeUnavailableException("access cannot be recorded in the audit log (Redis is not answering)", ex);
        }
        if (!first)
        {
            Remember(key);
            return;
        }

        try
        {
            var db = context.RequestServices.GetRequiredService<RemoteGpuDbContext>();
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
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(WriteTimeout);
            await db.SaveChangesAsync(timeout.Token);
        }
        catch (Exception ex)
        {
            // Unrecorded: let the next request try again rather than lose the row.
            await redisDb.KeyDeleteAsync(key);
            if (!cancellationToken.IsCancellationRequested
                && ex is DbUpdateException or NpgsqlException or InvalidOperationException or OperationCanceledException)
            {
                throw new EdgeUnavailableException("access cannot be recorded in the audit log (Postgres is not answering)", ex);
            }
            throw;
        }
        Remember(key);
        ProxyLog.AccessRecorded(logger, userId, environmentId, service);
    }

    public void Dispose() => _recorded.Dispose();

    private void Remember(string key) =>
        _recorded.Set(key, true, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = RememberFor });

    /// <summary>The session the request belongs to, as a hash of its credential (bearer token, platform or environment cookie).</summary>
    private static string SessionKey(HttpRequest request)
    {
        var credential = request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(credential))
        {
            credential = request.Cookies[PlatformAuthentication.CookieName]
                ?? request.Cookies[PlatformAuthentication.EnvironmentCookieName]
                ?? string.Empty;
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(credential)))[..32];
    }

    private static string? Truncate(string? value, int length) =>
        string.IsNullOrEmpty(value) ? null : value.Length <= length ? value : value[..length];
}
