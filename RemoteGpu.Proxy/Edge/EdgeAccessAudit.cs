using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
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
    ILogger<EdgeAccessAudit> logger)
{
    public const string Action = "edge.access";

    /// <summary>How long an instance trusts its own memory before asking Redis again.</summary>
    private static readonly TimeSpan RememberFor = TimeSpan.FromMinutes(10);

    /// <summary>The context retries transient failures; a request does not wait longer than this for its audit row.</summary>
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Sessions remembered at most; beyond, the expired are dropped, and if that is not enough, all.</summary>
    private const int MaxRemembered = 100_000;

    /// <summary>What this instance knows is recorded, until when (UTC ticks): a lookup without allocating.</summary>
    private readonly ConcurrentDictionary<Recorded, long> _recorded = new();

    public async Task RecordOnceAsync(HttpContext context, EdgeCaller caller, string environmentId, string service, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var recorded = new Recorded(caller.UserId, caller.Session, environmentId, service);
        if (_recorded.TryGetValue(recorded, out var until) && until > time.GetUtcNow().UtcTicks)
        {
            return;
        }

        var key = $"remotegpu:edge-access:{caller.UserId:N}:{caller.Session[..32]}:{environmentId}:{service}";
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
            Remember(recorded);
            return;
        }

        try
        {
            var db = context.RequestServices.GetRequiredService<RemoteGpuDbContext>();
            db.AuditEvents.Add(new AuditEvent
            {
                OccurredAt = time.GetUtcNow(),
                ActorId = caller.UserId,
                ActorName = Truncate(caller.Principal.Identity?.Name, 64),
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
        Remember(recorded);
        ProxyLog.AccessRecorded(logger, caller.UserId, environmentId, service);
    }

    private void Remember(Recorded recorded)
    {
        var now = time.GetUtcNow().UtcTicks;
        if (_recorded.Count >= MaxRemembered)
        {
            foreach (var (entry, until) in _recorded)
            {
                if (until <= now)
                {
                    _recorded.TryRemove(entry, out _);
                }
            }
            if (_recorded.Count >= MaxRemembered)
            {
                _recorded.Clear();
            }
        }
        _recorded[recorded] = now + RememberFor.Ticks;
    }

    private static string? Truncate(string? value, int length) =>
        string.IsNullOrEmpty(value) ? null : value.Length <= length ? value : value[..length];

    /// <summary>One user's session on one service of one environment.</summary>
    private readonly record struct Recorded(Guid UserId, string Session, string EnvironmentId, string Service);
}
