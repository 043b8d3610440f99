using System.Net;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.EntityFrameworkCore;
using Renci.SshNet;
using RemoteGpu.Core.Environments;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Environments;

/// <summary>Creating environments through the Api and using them the way their owner would: SSH to the returned port.</summary>
internal static class EnvironmentDriver
{
    public const string TestImage = "remotegpu/workspace-test:latest";
    public static readonly TimeSpan ConvergeTimeout = TimeSpan.FromMinutes(2);

    public static async Task EnsureTestImageListedAsync(PlatformFixture platform)
    {
        using var admin = await platform.AdminAsync();
        using var response = await admin.PostAsync("/api/images", new { name = TestImage, display_name = "Debian test workspace" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public static async Task<JsonElement> CreateAsync(
        ApiClient client, string? name = null, int gpuCount = 0, string? idempotencyKey = null, int? idleTimeoutMinutes = null, int memoryMb = 512)
    {
        using var response = await client.PostAsync("/api/environments",
            new { name = name ?? "ws-" + Guid.NewGuid().ToString("N")[..8], image = TestImage, gpu_count = gpuCount, cpu_cores = 1, memory_mb = memoryMb, idle_timeout_minutes = idleTimeoutMinutes },
            idempotencyKey is null ? null : new Dictionary<string, string> { ["Idempotency-Key"] = idempotencyKey });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await ApiClient.ReadAsync(response);
    }

    /// <summary>Polls the Api until the environment's observed status is <paramref name="status"/>; a failure fails at once.</summary>
    public static async Task<JsonElement> WaitForStatusAsync(ApiClient client, string id, string status, TimeSpan? timeout = null)
    {
        JsonElement last = default;
        await Poll.UntilAsync(async () =>
        {
            using var response = await client.GetAsync($"/api/environments/{id}");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }
            last = await ApiClient.ReadAsync(response);
            var seen = last.GetProperty("status").GetString();
            Assert.False(seen == "failed" && status != "failed", $"{id} failed: {last.GetProperty("status_reason")}");
            return seen == status;
        }, timeout ?? ConvergeTimeout, $"status '{status}' for {id}");
        return last;
    }

    /// <summary>Polls the Api until the environment is gone (404): deleted, its container and volume removed.</summary>
    public static Task WaitForDeletedAsync(ApiClient client, string id) =>
        Poll.UntilAsync(async () => (await client.GetAsync($"/api/environments/{id}")).StatusCode == HttpStatusCode.NotFound,
            ConvergeTimeout, $"deletion of {id}");

    public static async Task<AccessInfo> AccessRowAsync(PlatformFixture platform, string id)
    {
        await using var db = platform.CreateDbContext();
        return await db.AccessInfos.AsNoTracking().SingleAsync(a => a.EnvironmentId == id);
    }

    public static SshClient Ssh(int port, string user, string password) =>
        new(new ConnectionInfo("127.0.0.1", port, user, new PasswordAuthenticationMethod(user, password)) { Timeout = TimeSpan.FromSeconds(15) });

    public static string Run(SshClient ssh, string command)
    {
        using var cmd = ssh.RunCommand(command);
        Assert.True(cmd.ExitStatus == 0, $"'{command}' exited {cmd.ExitStatus}: {cmd.Error}");
        return cmd.Result.Trim();
    }

    public static bool CanLogIn(int port, string user, string password)
    {
        using var ssh = Ssh(port, user, password);
        try
        {
            ssh.ConnectRetryingTransport();
            return ssh.IsConnected;
        }
        catch (Renci.SshNet.Common.SshAuthenticationException)
        {
            return false;
        }
    }

    /// <summary>The environment's one container, as the engine reports it now.</summary>
    public static async Task<ContainerInspectResponse> ContainerOfAsync(DockerClient docker, string id)
    {
        var found = await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"remotegpu.env-id={id}"] = true } },
        });
        return await docker.Containers.InspectContainerAsync(Assert.Single(found).ID);
    }

    /// <summary>Runs a command in the container behind the platform's back (<c>docker exec</c>); it must succeed.</summary>
    public static async Task ExecInContainerAsync(DockerClient docker, string containerId, string user, params string[] command)
    {
        var exec = await docker.Exec.CreateContainerExecAsync(containerId, new ContainerExecCreateParameters
        {
            Cmd = command, User = user, AttachStdout = true, AttachStderr = true,
        });
        using (var stream = await docker.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), CancellationToken.None))
        {
            await stream.ReadOutputToEndAsync(CancellationToken.None);
        }
        var inspected = await docker.Exec.InspectContainerExecAsync(exec.ID);
        Assert.True(inspected.ExitCode == 0, $"{string.Join(' ', command)} exited {inspected.ExitCode}");
    }
}
