using System.ComponentModel.DataAnnotations;
using Docker.DotNet.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Identity;
using RemoteGpu.Worker.Runtime;
using RemoteGpu.Worker.Runtime.Docker;

namespace RemoteGpu.Tests.Worker.Runtime;

/// <summary>The spec-to-container mapping, without an engine: what cannot run here (GPUs) is checked here.</summary>
public sealed class WorkspaceContainerParametersTests
{
    private static readonly string[] ImagePorts = ["22/tcp", "8888/tcp"];
    private static readonly string Hash = PasswordHasher.Hash("Correct-horse-1!");

    private static WorkspaceSpec Spec(params string[] gpus) => new()
    {
        EnvironmentId = "env-0123abcd",
        PlatformId = "platform-under-test",
        OwnerId = Guid.Parse("5d0f3c1e-8f3b-4a47-9a5e-0c1d2e3f4a5b"),
        OwnerName = "ada",
        Image = "remotegpu/workspace:cuda12",
        CpuCores = 2.5m,
        MemoryMb = 8192,
        GpuDeviceIds = gpus,
        SshHostPort = 30001,
        PasswordHash = Hash,
        AuthorizedKeys = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3u ada@laptop\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC4v ada@desk",
        CodeServerPassword = "code-server-secret",
    };

    [Fact]
    public void Create_WithGpus_RequestsExactlyThoseNvidiaDevices()
    {
        var parameters = WorkspaceContainerParameters.Create(Spec("0", "GPU-3f2a"), new DockerRuntimeOptions(), ImagePorts);

        var request = Assert.Single(parameters.HostConfig!.DeviceRequests!);
        Assert.Equal("nvidia", request.Driver);
        Assert.Equal(["0", "GPU-3f2a"], request.DeviceIDs);
        Assert.Equal(["gpu"], Assert.Single(request.Capabilities!));
        Assert.Equal(0, request.Count);
    }

    [Fact]
    public void Create_WithoutGpus_RequestsNoDevice()
    {
        var parameters = WorkspaceContainerParameters.Create(Spec(), new DockerRuntimeOptions(), ImagePorts);

        Assert.True(parameters.HostConfig!.DeviceRequests is null || parameters.HostConfig.DeviceRequests.Count == 0);
    }

    [Fact]
    public void Create_SetsLimitsLabelsVolumeAndNoRestartOrPrivilege()
    {
        var parameters = WorkspaceContainerParameters.Create(Spec(), new DockerRuntimeOptions(), ImagePorts);
        var host = parameters.HostConfig!;

        Assert.Equal("remotegpu-env-0123abcd", parameters.Name);
        Assert.Equal(2_500_000_000, host.NanoCPUs);
        Assert.Equal(8192L * 1024 * 1024, host.Memory);
        Assert.Equal(host.Memory, host.MemorySwap);
        Assert.Equal(RestartPolicyKind.No, host.RestartPolicy!.Name);
        Assert.False(host.Privileged);
        Assert.True(host.CapAdd is null || host.CapAdd.Count == 0);
        Assert.Equal(TimeSpan.FromSeconds(5), parameters.StopTimeout);
        var mount = Assert.Single(host.Mounts!);
        Assert.Equal(("volume", "remotegpu-env-0123abcd-workspace", "/workspace"), (mount.Type, mount.Source, mount.Target));
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["remotegpu.managed"] = "true",
                ["remotegpu.platform"] = "platform-under-test",
                ["remotegpu.env-id"] = "env-0123abcd",
                ["remotegpu.owner"] = "5d0f3c1e-8f3b-4a47-9a5e-0c1d2e3f4a5b",
                ["remotegpu.owner-name"] = "ada",
            },
            parameters.Labels);
    }

    [Fact]
    public void Create_PassesTheEntrypointContractAsEnvironmentAndNothingOnTheCommandLine()
    {
        var parameters = WorkspaceContainerParameters.Create(Spec(), new DockerRuntimeOptions(), ImagePorts);

        Assert.Equal(
            [
                "REMOTEGPU_USER=remotegpu",
                $"REMOTEGPU_PASSWORD_HASH={Hash}",
                "REMOTEGPU_AUTHORIZED_KEYS=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3u ada@laptop\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC4v ada@desk",
                "REMOTEGPU_CODE_SERVER_PASSWORD=code-server-secret",
            ],
            parameters.Env);
        Assert.Null(parameters.Cmd);
        Assert.Null(parameters.Entrypoint);
    }

    [Fact]
    public void Create_LoopbackMode_PublishesSshOnTheConfiguredAddressAndDeclaredHttpPortsOnLoopback()
    {
        var options = new DockerRuntimeOptions { PublishAddress = "10.0.0.5" };
        var parameters = WorkspaceContainerParameters.Create(Spec(), options, ImagePorts);
        var bindings = parameters.HostConfig!.PortBindings!;

        var ssh = Assert.Single(bindings["22/tcp"]);
        Assert.Equal(("10.0.0.5", "30001"), (ssh.HostIP, ssh.HostPort));
        var jupyter = Assert.Single(bindings["8888/tcp"]);
        Assert.Equal(("127.0.0.1", ""), (jupyter.HostIP, jupyter.HostPort));
        // The image declares no code-server port: nothing is published for it.
        Assert.False(bindings.ContainsKey("8080/tcp"));
        Assert.Equal(["22/tcp", "8888/tcp"], parameters.ExposedPorts!.Keys.Order());
    }

    [Fact]
    public void Create_JoinsTheIsolatedNetwork_NeverTheDefaultBridge()
    {
        var parameters = WorkspaceContainerParameters.Create(Spec(), new DockerRuntimeOptions { Network = "lab-workspaces" }, ["22/tcp", "8888/tcp", "8080/tcp"]);

        Assert.Equal("lab-workspaces", parameters.HostConfig!.NetworkMode);
        Assert.Equal("remotegpu-workspaces", WorkspaceContainerParameters.Create(Spec(), new DockerRuntimeOptions(), ImagePorts).HostConfig!.NetworkMode);
        Assert.Equal(["22/tcp", "8080/tcp", "8888/tcp"], parameters.HostConfig.PortBindings!.Keys.Order());
        Assert.All(parameters.HostConfig.PortBindings.Where(p => p.Key != "22/tcp"), p => Assert.Equal("127.0.0.1", Assert.Single(p.Value).HostIP));
    }

    [Fact]
    public void Validate_PlaintextPasswordOrBadId_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => (Spec() with { PasswordHash = "Correct-horse-1!" }).Validate());
        Assert.Throws<ArgumentException>(() => (Spec() with { EnvironmentId = "env-0123ABCD" }).Validate());
        Assert.Throws<ArgumentException>(() => (Spec() with { UserName = "root" }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => (Spec() with { SshHostPort = 70000 }).Validate());
        Spec().Validate();
    }

    [Fact]
    public void ToString_LeavesOutTheSecrets()
    {
        var text = Spec("0").ToString();

        Assert.Contains("env-0123abcd", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Hash, text, StringComparison.Ordinal);
        Assert.DoesNotContain("code-server-secret", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PublishAddress", "not-an-address")]
    [InlineData("Network", "no spaces allowed")]
    [InlineData("StopTimeout", "01:00:00")]
    [InlineData("Endpoint", "ftp://docker")]
    public async Task AddDockerRuntime_InvalidSetting_FailsAtStartNamingIt(string key, string value)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new($"Runtime:Docker:{key}", value)]);
        builder.AddDockerRuntime();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Defaults_AreValid()
    {
        var options = new DockerRuntimeOptions();
        Assert.True(Validator.TryValidateObject(options, new ValidationContext(options), null, validateAllProperties: true));
        Assert.Equal(("127.0.0.1", "remotegpu-workspaces", TimeSpan.FromSeconds(5)), (options.PublishAddress, options.Network, options.StopTimeout));
    }
}
