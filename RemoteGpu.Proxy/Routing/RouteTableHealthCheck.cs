using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RemoteGpu.Proxy.Routing;

/// <summary>Not ready until the first full load: a fresh edge would otherwise answer 404 for every environment.</summary>
internal sealed class RouteTableHealthCheck(RouteTable table) : IHealthCheck
{
    public const string Name = "routes";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(table.Loaded
            ? HealthCheckResult.Healthy($"{table.Count} environment route(s)")
            : HealthCheckResult.Unhealthy("the route table has not been loaded yet"));
}
