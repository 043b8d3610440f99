using Docker.DotNet;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RemoteGpu.Worker.Runtime.Docker;

namespace RemoteGpu.Tests.Worker.Runtime;

[Trait("Category", "E2E")]
[Collection(DockerRuntimeCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DockerHealthCheckTests(DockerRuntimeFixture fixture)
{
    [Fact]
    public async Task EngineAnswers_Healthy()
    {
        var check = ActivatorUtilities.CreateInstance<DockerHealthCheck>(fixture.Services);

        var result = await check.CheckHealthAsync(Context(check));

        Assert.Equal(HealthStatus.Healthy, result.Status);
    }

    [Fact]
    public async Task NoEngineAtTheEndpoint_UnhealthyWithTheReason()
    {
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri($"unix:///tmp/remotegpu-no-engine-{Guid.NewGuid():N}.sock")).Build();
        var check = new DockerHealthCheck(docker, TimeProvider.System);

        var result = await check.CheckHealthAsync(Context(check));

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.StartsWith("the Docker engine does not answer", result.Description, StringComparison.Ordinal);
    }

    private static HealthCheckContext Context(IHealthCheck check) =>
        new() { Registration = new HealthCheckRegistration(DockerHealthCheck.Name, check, HealthStatus.Unhealthy, tags: null) };
}
