using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RemoteGpu.Core.Data;

/// <summary>
/// Unhealthy until every migration this build knows is applied. The Proxy and the Worker never
/// migrate; this is how they (and the orchestrator waiting on them) learn the Api has.
/// </summary>
public sealed class SchemaHealthCheck(RemoteGpuDbContext db) : IHealthCheck
{
    public const string Name = "schema";

    // Once current, a schema only moves forward with a new build of this process.
    private static volatile bool _schemaCurrent;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_schemaCurrent)
        {
            return HealthCheckResult.Healthy("schema is current");
        }

        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count > 0)
        {
            return HealthCheckResult.Unhealthy($"{pending.Count} migration(s) not yet applied: {string.Join(", ", pending)}");
        }

        _schemaCurrent = true;
        return HealthCheckResult.Healthy("schema is current");
    }
}
