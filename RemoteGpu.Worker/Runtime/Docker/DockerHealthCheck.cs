using System.Net.Sockets;
using Docker.DotNet;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RemoteGpu.Worker.Runtime.Docker;

/// <summary>Healthy while the Docker engine answers a ping: without it no workspace can be created, started or stopped.</summary>
internal sealed class DockerHealthCheck(DockerClient docker, TimeProvider time) : IHealthCheck
{
    public const string Name = "docker";

    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            await docker.System.PingAsync(cancellationToken).WaitAsync(PingTimeout, time, cancellationToken);
            return HealthCheckResult.Healthy("the Docker engine answers");
        }
        catch (Exception ex) when (ex is DockerApiException or HttpRequestException or IOException or SocketException or TimeoutException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"the Docker engine does not answer: {ex.Message}", ex);
        }
    }
}
