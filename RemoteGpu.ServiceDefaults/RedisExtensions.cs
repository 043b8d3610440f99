using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The behaviour of Aspire.StackExchange.Redis: <c>ConnectionStrings:&lt;name&gt;</c> in the
/// <c>host:port,password=…</c> form, one shared <see cref="IConnectionMultiplexer"/> that keeps
/// retrying in the background (AbortOnConnectFail=false) and a health check named after the connection.
/// </summary>
public static class RedisExtensions
{
    public static void AddRedisClient(this IHostApplicationBuilder builder, string connectionName)
    {
        ArgumentNullException.ThrowIfNull(builder);

        var connectionString = ConnectionStrings.Require(
            builder.Configuration,
            connectionName,
            "Redis",
            "localhost:6379,password=...",
            static value =>
            {
                if (ConfigurationOptions.Parse(value).EndPoints.Count == 0)
                {
                    throw new ArgumentException("it names no host:port.");
                }
            });

        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false;

        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(options));
        builder.Services.AddHealthChecks().AddRedis(
            services => services.GetRequiredService<IConnectionMultiplexer>(),
            name: connectionName);
    }
}
