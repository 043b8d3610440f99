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

    public static void AddPlatformDatabase(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddNpgsqlDbContext<RemoteGpuDbContext>(RemoteGpuDbContext.ConnectionName,
            settings => ConnectionStringCheck.Postgres(RemoteGpuDbContext.ConnectionName, settings.ConnectionString));
    }

    public static void AddPlatformRedis(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddRedisClient(RedisConnectionName,
            settings => ConnectionStringCheck.Redis(RedisConnectionName, settings.ConnectionString));
    }
}
