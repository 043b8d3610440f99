using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;

namespace RemoteGpu.Core.Data;

/// <summary>
/// The platform's database and Redis through Aspire's client integrations (pooled DbContext with retries, one
/// shared multiplexer, health checks, tracing and metrics), after <see cref="ConnectionStringCheck"/>.
/// </summary>
public static class PlatformStoresExtensions
{
    /// <summary>The AppHost's Redis resource, hence <c>ConnectionStrings:redis</c>.</summary>
    public const string RedisConnectionName = "redis";

    private const int MaxRetries = 2;
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    public static void AddPlatformDatabase(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddNpgsqlDbContext<RemoteGpuDbContext>(RemoteGpuDbContext.ConnectionName,
            settings => ConnectionStringCheck.Postgres(RemoteGpuDbContext.ConnectionName, settings.ConnectionString),
            // A blip (a dropped connection, a failover) is ridden out; an outage is answered within seconds: the Api
            // refuses with 503, the worker leaves its entry to be retried. (The integration's default, six retries up to
            // 30 s apart, held a request for over 100 s while Postgres restarted.)
            options => options.UseNpgsql(npgsql => npgsql.EnableRetryOnFailure(MaxRetries, MaxRetryDelay, errorCodesToAdd: null)));
    }

    public static void AddPlatformRedis(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddRedisClient(RedisConnectionName,
            settings => ConnectionStringCheck.Redis(RedisConnectionName, settings.ConnectionString));
    }
}
