using System.Net;
using Docker.DotNet;
using Microsoft.Extensions.DependencyInjection;
using RemoteGpu.AppHost.Orchestration;
using RemoteGpu.AppHost.Orchestration.Containers;
using RemoteGpu.AppHost.Testing;
using Xunit.Abstractions;

namespace RemoteGpu.Tests.AppHost;

[Trait("Category", "E2E")]
public sealed class ContainerTopologyTests(ITestOutputHelper output)
{
    private const string PostgresImage = "remotegpu/postgres-test:latest";
    private const string RedisImage = "remotegpu/redis-test:latest";

    [Fact]
    public async Task WithTheTestImages_PostgresAndRedisRunAsContainers_RemovedOnDispose()
    {
        using var docker = new DockerClientBuilder().Build();
        await RequireEngineAndImagesAsync(docker);

        var (app, startedIn) = await AppHostTopology.StartAsync(
            "--AppHost:ContainerRuntime=Docker", $"--AppHost:Postgres:Image={PostgresImage}", $"--AppHost:Redis:Image={RedisImage}");
        var session = app.Services.GetRequiredService<RunnerContext>().SessionId;
        var (pids, ports) = AppHostTopology.ProcessesAndPorts(app.ResourceNotifications.GetSnapshots());
        try
        {
            output.WriteLine($"Started to all-healthy in {startedIn.TotalSeconds:F1} s");
            foreach (var name in new[] { "postgres", "redis" })
            {
                var snapshot = app.ResourceNotifications.GetSnapshot(name);
                Assert.Equal(ResourceKinds.Container, snapshot.Kind);
                Assert.NotNull(snapshot.ContainerId);
                var container = await docker.Containers.InspectContainerAsync(snapshot.ContainerId);
                Assert.True(container.State!.Running);
                Assert.Equal(name, container.Config!.Labels[DockerEngine.ResourceLabel]);
                Assert.Equal(session, container.Config.Labels[DockerEngine.SessionLabel]);
                Assert.All(container.HostConfig!.PortBindings.SelectMany(binding => binding.Value), binding => Assert.Equal("127.0.0.1", binding.HostIP));
            }

            using var proxy = app.CreateHttpClient("proxy");
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/info");
            request.Headers.Host = "localhost";
            using var response = await proxy.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            await app.DisposeAsync();
        }

        Assert.Empty(await Leftovers.ContainersOfSessionAsync(docker, session));
        Assert.Empty(Leftovers.LiveProcessGroups(pids));
        Assert.Empty(await Leftovers.ListeningPortsAsync(ports));
    }

    /// <summary>CI builds the images before the tests; a missing one is a failure, never a silent pass.</summary>
    private static async Task RequireEngineAndImagesAsync(DockerClient docker)
    {
        try
        {
            await docker.System.PingAsync();
        }
        catch (Exception ex) when (ex is HttpRequestException or DockerApiException or IOException or TimeoutException)
        {
            Assert.Fail($"No Docker engine answers ({ex.Message}). Start one with scripts/prerequisites.sh, then build the images with scripts/build-images.sh.");
        }
        foreach (var image in new[] { PostgresImage, RedisImage })
        {
            try
            {
                await docker.Images.InspectImageAsync(image);
            }
            catch (DockerImageNotFoundException)
            {
                Assert.Fail($"The Docker image {image} is missing. Build it with scripts/build-images.sh services-test (CI does so before the tests).");
            }
        }
    }
}
