using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The behaviour of Aspire.Npgsql.EntityFrameworkCore.PostgreSQL: the connection string from
/// <c>ConnectionStrings:&lt;name&gt;</c>, one pooled <see cref="NpgsqlDataSource"/>, a pooled DbContext
/// with retries on transient failures, a health check named after the connection, and tracing.
/// </summary>
public static class NpgsqlExtensions
{
    public static void AddNpgsqlDbContext<TContext>(this IHostApplicationBuilder builder, string connectionName)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);

        var connectionString = ConnectionStrings.Require(
            builder.Configuration,
            connectionName,
            "PostgreSQL",
            "Host=localhost;Port=5432;Username=postgres;Password=...;Database=remotegpu",
            static value =>
            {
                var parsed = new NpgsqlConnectionStringBuilder(value);
                if (string.IsNullOrWhiteSpace(parsed.Host))
                {
                    throw new ArgumentException("it names no Host.");
                }
                if (string.IsNullOrWhiteSpace(parsed.Database))
                {
                    throw new ArgumentException("it names no Database.");
                }
            });

        builder.Services.AddSingleton(_ => new NpgsqlDataSourceBuilder(connectionString).Build());
        builder.Services.AddDbContextPool<TContext>((services, options) =>
            options.UseNpgsql(
                services.GetRequiredService<NpgsqlDataSource>(),
                npgsql => npgsql.EnableRetryOnFailure()));

        builder.Services.AddHealthChecks().AddDbContextCheck<TContext>(connectionName);

        if (builder.ExportsTelemetry())
        {
            builder.Services.AddOpenTelemetry()
                .WithTracing(tracing => tracing.AddNpgsql())
                .WithMetrics(metrics => metrics.AddMeter("Npgsql"));
        }
    }
}
