using System.Net;
using System.Net.Sockets;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RemoteGpu.Worker.Runtime;
using RemoteGpu.Worker.Runtime.Docker;
using Xunit.Abstractions;

using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Worker.Runtime;

/// <summary>Creating, stopping, starting and removing workspaces of their own, and the ways that fails.</summary>
[Trait("Category", "E2E")]
[Collection(DockerRuntimeCollection.Name)]
[Trait("Category", "Integration")]
public sealed class WorkspaceLifecycleTests(DockerRuntimeFixture fixture, ITestOutputHelper output)
{
    private IWorkspaceRuntime Runtime => fixture.Runtime;

    [Fact]
    public async Task Lifecycle_FilesSurviveStopAndStart_RemoveLeavesNothingAndFreesThePort()
    {
        var (spec, _) = fixture.NewSpec();
        var id = spec.EnvironmentId;
        try
        {
            var created = await Runtime.EnsureCreatedAsync(spec, CancellationToken.None);
            var again = await Runtime.EnsureCreatedAsync(spec, CancellationToken.None);
            Assert.Equal(created.ContainerId, again.ContainerId);
            Assert.Equal(WorkspaceState.Created, created.State);
            Assert.Null(created.SshPort);

            var running = await Runtime.StartAsync(id, CancellationToken.None);
            Assert.Equal((WorkspaceState.Running, spec.SshHostPort), (running.State, running.SshPort));
            await DockerRuntimeFixture.WaitForSshBannerAsync(spec.SshHostPort);

            var written = await Runtime.ExecAsync(id, ["sh", "-c", "cat > /workspace/kept.txt"], "kept across restarts", CancellationToken.None);
            Assert.Equal(0, written.ExitCode);

            await Runtime.StopAsync(id, CancellationToken.None);
            await Runtime.StopAsync(id, CancellationToken.None);
            var stopped = await Runtime.InspectAsync(id, CancellationToken.None);
            Assert.NotNull(stopped);
            Assert.Equal(WorkspaceState.Exited, stopped.State);
            Assert.Null(stopped.SshPort);
            Assert.Null(stopped.JupyterUpstream);
            await Assert.ThrowsAsync<WorkspaceRuntimeException>(() => Runtime.ExecAsync(id, ["true"], null, CancellationToken.None));

            var restarted = await Runtime.StartAsync(id, CancellationToken.None);
            Assert.Equal(created.ContainerId, restarted.ContainerId);
            Assert.Equal(spec.SshHostPort, restarted.SshPort);
            Assert.NotNull(restarted.JupyterUpstream);
            var read = await Runtime.ExecAsync(id, ["cat", "/workspace/kept.txt"], null, CancellationToken.None);
            Assert.Equal("kept across restarts", read.StandardOutput);

            await Runtime.RemoveAsync(id, CancellationToken.None);
            await Runtime.RemoveAsync(id, CancellationToken.None);
            Assert.Null(await Runtime.InspectAsync(id, CancellationToken.None));
            await Runtime.StopAsync(id, CancellationToken.None);
            await Assert.ThrowsAsync<WorkspaceNotFoundException>(() => Runtime.StartAsync(id, CancellationToken.None));
            await fixture.AssertNothingLeftAsync(id);
            using var listener = new TcpListener(IPAddress.Loopback, spec.SshHostPort);
            listener.Start();
        }
        finally
        {
            await Runtime.RemoveAsync(id, CancellationToken.None);
        }
    }

    [Fact]
    public async Task EnsureCreated_ImageMissing_ThrowsAClearErrorAndLeavesNothing()
    {
        var (spec, _) = fixture.NewSpec();
        spec = spec with { Image = $"remotegpu/no-such-image-{Guid.NewGuid():N}:latest" };

        var error = await Assert.ThrowsAsync<WorkspaceImageNotFoundException>(() => Runtime.EnsureCreatedAsync(spec, CancellationToken.None));

        Assert.Equal($"The image {spec.Image} is not present on the Docker host.", error.Message);
        await fixture.AssertNothingLeftAsync(spec.EnvironmentId);
    }

    [Fact]
    public async Task EnsureCreated_EngineRefusesTheContainer_RemovesTheVolumeItCreated()
    {
        var (spec, _) = fixture.NewSpec();
        // Below the engine's minimum memory limit: refused when the container is created, after its volume was.
        spec = spec with { MemoryMb = 4 };

        var error = await Assert.ThrowsAsync<WorkspaceRuntimeException>(() => Runtime.EnsureCreatedAsync(spec, CancellationToken.None));

        Assert.IsNotType<WorkspaceImageNotFoundException>(error);
        Assert.Contains("memory", error.Message, StringComparison.OrdinalIgnoreCase);
        await fixture.AssertNothingLeftAsync(spec.EnvironmentId);
    }

    [Fact]
    public async Task TheWorkspacesNetwork_IsMadeIsolated_NoWorkspaceReachesAnother_TheHostReachesBoth()
    {
        var network = $"remotegpu-test-{Guid.NewGuid():N}";
        var runtime = new DockerWorkspaceRuntime(
            fixture.Docker, Options.Create(new DockerRuntimeOptions { Network = network }), TimeProvider.System, NullLogger<DockerWorkspaceRuntime>.Instance);
        var (a, _) = fixture.NewSpec();
        var (b, _) = fixture.NewSpec();
        try
        {
            await runtime.EnsureCreatedAsync(a, CancellationToken.None);
            await runtime.EnsureCreatedAsync(b, CancellationToken.None);
            var instanceA = await runtime.StartAsync(a.EnvironmentId, CancellationToken.None);
            await runtime.StartAsync(b.EnvironmentId, CancellationToken.None);

            var made = await fixture.Docker.Networks.InspectNetworkAsync(network);
            Assert.Equal(("bridge", "false"), (made.Driver, made.Options["com.docker.network.bridge.enable_icc"]));
            var addressOfA = (await fixture.Docker.Containers.InspectContainerAsync(instanceA.ContainerId)).NetworkSettings!.Networks![network].IPAddress;
            Assert.False(string.IsNullOrEmpty(addressOfA));
            await DockerRuntimeFixture.WaitForSshBannerAsync(a.SshHostPort);

            // A's sshd listens (its own loopback answers), yet from B nothing of A answers.
            Assert.Equal(0, (await runtime.ExecAsync(a.EnvironmentId, ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/22"], null, CancellationToken.None)).ExitCode);
            foreach (var port in new[] { 22, 8888, 8080 })
            {
                var probe = await runtime.ExecAsync(b.EnvironmentId, ["timeout", "3", "bash", "-c", $"exec 3<>/dev/tcp/{addressOfA}/{port}"], null, CancellationToken.None);
                Assert.NotEqual(0, probe.ExitCode);
            }

            // The edge's path, the host's loopback, still reaches A's Jupyter.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            await Poll.UntilAsync(
                async () => await DockerRuntimeFixture.StatusAsync(http, $"{instanceA.JupyterUpstream}/jupyter/api/status") is HttpStatusCode.Forbidden or HttpStatusCode.OK,
                DockerRuntimeFixture.JupyterTimeout,
                "A's Jupyter answering the host on its loopback port");
        }
        finally
        {
            await runtime.RemoveAsync(a.EnvironmentId, CancellationToken.None);
            await runtime.RemoveAsync(b.EnvironmentId, CancellationToken.None);
            await fixture.Docker.Networks.DeleteNetworkAsync(network);
        }
    }

    [Fact]
    public async Task ANetworkThatLetsContainersTalk_IsRefused_NamingTheSetting_AndLeavesNothing()
    {
        var network = $"remotegpu-test-{Guid.NewGuid():N}";
        await fixture.Docker.Networks.CreateNetworkAsync(new NetworksCreateParameters { Name = network });
        var runtime = new DockerWorkspaceRuntime(
            fixture.Docker, Options.Create(new DockerRuntimeOptions { Network = network }), TimeProvider.System, NullLogger<DockerWorkspaceRuntime>.Instance);
        var (spec, _) = fixture.NewSpec();
        try
        {
            var error = await Assert.ThrowsAsync<WorkspaceRuntimeException>(() => runtime.EnsureCreatedAsync(spec, CancellationToken.None));

            Assert.Contains(network, error.Message, StringComparison.Ordinal);
            Assert.Contains("Runtime:Docker:Network", error.Message, StringComparison.Ordinal);
            await fixture.AssertNothingLeftAsync(spec.EnvironmentId);
        }
        finally
        {
            await fixture.Docker.Networks.DeleteNetworkAsync(network);
        }
    }

    [Fact]
    public async Task Start_SshPortInUse_ThrowsPortUnavailableAndLeavesNothing()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var (spec, _) = fixture.NewSpec();
        spec = spec with { SshHostPort = ((IPEndPoint)squatter.LocalEndpoint).Port };

        await Runtime.EnsureCreatedAsync(spec, CancellationToken.None);
        var error = await Assert.ThrowsAsync<PortUnavailableException>(() => Runtime.StartAsync(spec.EnvironmentId, CancellationToken.None));

        Assert.Equal(spec.SshHostPort, error.Port);
        await fixture.AssertNothingLeftAsync(spec.EnvironmentId);

        // The caller's remedy: the same environment on another port.
        var retry = spec with { SshHostPort = Ports.Free() };
        try
        {
            var (instance, _) = await fixture.CreateAndStartAsync(retry);
            Assert.Equal(retry.SshHostPort, instance.SshPort);
        }
        finally
        {
            await Runtime.RemoveAsync(spec.EnvironmentId, CancellationToken.None);
        }
    }

    [Fact]
    public async Task EnsureCreated_WithGpus_TheEngineRecordsTheDeviceRequest()
    {
        // Created, never started: this machine has no GPU.
        var (spec, _) = fixture.NewSpec();
        spec = spec with { GpuDeviceIds = ["0", "GPU-5b8e2f4a"] };
        try
        {
            var created = await Runtime.EnsureCreatedAsync(spec, CancellationToken.None);
            var inspected = await fixture.Docker.Containers.InspectContainerAsync(created.ContainerId);

            var request = Assert.Single(inspected.HostConfig!.DeviceRequests!);
            Assert.Equal("nvidia", request.Driver);
            Assert.Equal(["0", "GPU-5b8e2f4a"], request.DeviceIDs);
            Assert.Equal(["gpu"], Assert.Single(request.Capabilities!));
        }
        finally
        {
            await Runtime.RemoveAsync(spec.EnvironmentId, CancellationToken.None);
        }
    }

    [Fact]
    public async Task StartToSshBanner_FiveWorkspaces_MedianWithinAFewSeconds()
    {
        var samples = new List<TimeSpan>();
        for (var run = 0; run < 5; run++)
        {
            var (spec, _) = fixture.NewSpec();
            try
            {
                var (_, startToBanner) = await fixture.CreateAndStartAsync(spec);
                samples.Add(startToBanner);
            }
            finally
            {
                await Runtime.RemoveAsync(spec.EnvironmentId, CancellationToken.None);
            }
        }

        samples.Sort();
        var median = samples[samples.Count / 2];
        output.WriteLine($"EnsureCreated + Start to SSH banner, {Image}: p50 {median.TotalMilliseconds:F0} ms "
            + $"(runs: {string.Join(", ", samples.Select(sample => $"{sample.TotalMilliseconds:F0}"))} ms)");
        Assert.True(median < TimeSpan.FromSeconds(10), $"p50 {median.TotalSeconds:F1} s");
    }

    private static string Image => DockerRuntimeFixture.Image;
}
