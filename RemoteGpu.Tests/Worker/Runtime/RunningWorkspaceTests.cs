using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Docker.DotNet.Models;
using Renci.SshNet;
using Renci.SshNet.Common;
using RemoteGpu.Core.Credentials;
using RemoteGpu.Core.Identity;
using RemoteGpu.Worker.Runtime;
using Xunit.Abstractions;

using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Worker.Runtime;

/// <summary>What a user of a running workspace relies on, checked on the fixture's one running container.</summary>
[Trait("Category", "E2E")]
[Collection(DockerRuntimeCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RunningWorkspaceTests(DockerRuntimeFixture fixture, ITestOutputHelper output)
{
    private int SshPort => fixture.Shared.SshHostPort;

    [Fact]
    public void Ssh_PasswordOfTheHash_LogsInAsTheWorkspaceUserNotRoot()
    {
        output.WriteLine($"EnsureCreated + Start to SSH banner: {fixture.SharedStartToBanner.TotalMilliseconds:F0} ms");

        Assert.Equal("remotegpu", DockerRuntimeFixture.RunOverSsh(SshPort, "remotegpu", fixture.SharedPassword, "whoami"));
        Assert.NotEqual("0", DockerRuntimeFixture.RunOverSsh(SshPort, "remotegpu", fixture.SharedPassword, "id -u"));
        // Login sessions do not inherit the container's secrets.
        Assert.DoesNotContain("REMOTEGPU_", DockerRuntimeFixture.RunOverSsh(SshPort, "remotegpu", fixture.SharedPassword, "env"), StringComparison.Ordinal);
    }

    [Fact]
    public void Ssh_RootOrAWrongPassword_IsRefused()
    {
        Assert.Throws<SshAuthenticationException>(() =>
            DockerRuntimeFixture.ConnectSsh(SshPort, "root", new PasswordAuthenticationMethod("root", fixture.SharedPassword)).Dispose());
        Assert.Throws<SshAuthenticationException>(() =>
            DockerRuntimeFixture.ConnectSsh(SshPort, "remotegpu", new PasswordAuthenticationMethod("remotegpu", fixture.SharedPassword + "x")).Dispose());
    }

    [Fact]
    public void Ssh_AuthorizedEd25519Key_LogsIn()
    {
        using var key = new PrivateKeyFile(fixture.PrivateKeyPath);
        using var client = DockerRuntimeFixture.ConnectSsh(SshPort, "remotegpu", new PrivateKeyAuthenticationMethod("remotegpu", key));
        using var whoami = client.RunCommand("whoami");
        Assert.Equal("remotegpu", whoami.Result.Trim());
    }

    [Fact]
    public async Task Container_CarriesOnlyTheHash_NoPlaintextPasswordAndNoSecretOnACommandLine()
    {
        var inspected = await fixture.Docker.Containers.InspectContainerAsync(fixture.SharedInstance.ContainerId);
        var everything = JsonSerializer.Serialize(inspected);
        Assert.DoesNotContain(fixture.SharedPassword, everything, StringComparison.Ordinal);
        Assert.Contains($"REMOTEGPU_PASSWORD_HASH={fixture.Shared.PasswordHash}", inspected.Config!.Env);

        // Nothing secret in any process's arguments (ps shows them to every user of the container).
        var commandLines = await fixture.Runtime.ExecAsync(
            fixture.Shared.EnvironmentId, ["sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"], null, CancellationToken.None);
        Assert.Equal(0, commandLines.ExitCode);
        Assert.Contains("sshd", commandLines.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.SharedJupyterToken, commandLines.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Shared.PasswordHash, commandLines.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Container_IsLabelledLimitedUnprivilegedAndNotRestartedByDocker()
    {
        var inspected = await fixture.Docker.Containers.InspectContainerAsync(fixture.SharedInstance.ContainerId);
        Assert.Equal("true", inspected.Config!.Labels[WorkspaceLabels.Managed]);
        Assert.Equal(fixture.Shared.EnvironmentId, inspected.Config.Labels[WorkspaceLabels.EnvironmentId]);
        Assert.Equal(fixture.Shared.OwnerId.ToString(), inspected.Config.Labels[WorkspaceLabels.Owner]);
        Assert.Equal($"/remotegpu-{fixture.Shared.EnvironmentId}", inspected.Name);
        Assert.False(inspected.HostConfig!.Privileged);
        Assert.True(inspected.HostConfig.CapAdd is null || inspected.HostConfig.CapAdd.Count == 0);
        Assert.Equal(RestartPolicyKind.No, inspected.HostConfig.RestartPolicy!.Name);
        Assert.Equal(1_000_000_000, inspected.HostConfig.NanoCPUs);
        Assert.Equal(1024L * 1024 * 1024, inspected.HostConfig.Memory);
        Assert.Equal(inspected.HostConfig.Memory, inspected.HostConfig.MemorySwap);
        Assert.Equal(TimeSpan.FromSeconds(5), inspected.Config.StopTimeout);
        var mount = Assert.Single(inspected.Mounts!, mount => mount.Destination == "/workspace");
        Assert.Equal("volume", mount.Type);
        Assert.Equal(WorkspaceLabels.VolumeName(fixture.Shared.EnvironmentId), mount.Name);
        // SSH on the configured address and port; Jupyter on loopback only.
        var ssh = Assert.Single(inspected.NetworkSettings!.Ports["22/tcp"]);
        Assert.Equal(("127.0.0.1", fixture.Shared.SshHostPort.ToString()), (ssh.HostIP, ssh.HostPort));
        Assert.Equal("127.0.0.1", Assert.Single(inspected.NetworkSettings.Ports["8888/tcp"]).HostIP);
    }

    [Fact]
    public async Task Jupyter_TrustsOnlyTheHandedOverToken_ANewOneVoidsIt_AndNoProcessEnvironmentHoldsIt()
    {
        using var http = new HttpClient { BaseAddress = new Uri(fixture.SharedInstance.JupyterUpstream + "/jupyter/"), Timeout = TimeSpan.FromSeconds(10) };
        async Task<HttpStatusCode?> StatusWith(string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/status");
            request.Headers.Authorization = new("token", token);
            try
            {
                using var response = await http.SendAsync(request);
                return response.StatusCode;
            }
            catch (HttpRequestException)
            {
                return null;
            }
        }
        await Poll.UntilAsync(async () => await StatusWith(fixture.SharedJupyterToken) == HttpStatusCode.OK, DockerRuntimeFixture.JupyterTimeout, "Jupyter answering");

        // As root, every process's environment and the file Jupyter checks: the hash, never the token.
        var environments = await fixture.Runtime.ExecAsync(
            fixture.Shared.EnvironmentId, ["sh", "-c", "cat /proc/[0-9]*/environ | tr '\\0' '\\n'; cat /run/remotegpu/jupyter-token.sha256"], null, CancellationToken.None);
        Assert.Contains(JupyterCredential.HashOf(fixture.SharedJupyterToken), environments.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("PATH=", environments.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.SharedJupyterToken, environments.StandardOutput, StringComparison.Ordinal);

        // Neither a ?token= URL nor a wrong token gets in; a new hand-over voids the old token at once.
        using (var query = await http.GetAsync($"api/status?token={fixture.SharedJupyterToken}"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, query.StatusCode);
        }
        Assert.Equal(HttpStatusCode.Forbidden, await StatusWith(JupyterCredential.NewToken()));
        var next = JupyterCredential.NewToken();
        try
        {
            await JupyterCredential.HandOverAsync(fixture.Runtime, fixture.Shared.EnvironmentId, next, CancellationToken.None);
            Assert.Equal(HttpStatusCode.Forbidden, await StatusWith(fixture.SharedJupyterToken));
            Assert.Equal(HttpStatusCode.OK, await StatusWith(next));
        }
        finally
        {
            await JupyterCredential.HandOverAsync(fixture.Runtime, fixture.Shared.EnvironmentId, fixture.SharedJupyterToken, CancellationToken.None);
        }

        // Not a hash: refused, and the current token stays.
        var bad = await fixture.Runtime.ExecAsync(fixture.Shared.EnvironmentId, JupyterCredential.SetHashCommand, "not-a-hash\n", CancellationToken.None);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Equal(HttpStatusCode.OK, await StatusWith(fixture.SharedJupyterToken));
    }

    [Fact]
    public async Task Jupyter_OnTheRecordedUpstream_AnswersWithTheTokenAndStartsAKernel()
    {
        var upstream = fixture.SharedInstance.JupyterUpstream;
        Assert.NotNull(upstream);
        Assert.StartsWith("http://127.0.0.1:", upstream, StringComparison.Ordinal);
        // The test image declares code-server's port too (8080): published on loopback, recorded, whether it runs or not.
        Assert.StartsWith("http://127.0.0.1:", fixture.SharedInstance.CodeServerUpstream, StringComparison.Ordinal);
        Assert.NotEqual(upstream, fixture.SharedInstance.CodeServerUpstream);

        using var http = new HttpClient { BaseAddress = new Uri(upstream + "/jupyter/"), Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new("token", fixture.SharedJupyterToken);
        await Poll.UntilAsync(async () => await DockerRuntimeFixture.StatusAsync(http, "api/status") == HttpStatusCode.OK, DockerRuntimeFixture.JupyterTimeout, "Jupyter answering");

        using (var anonymous = new HttpClient { BaseAddress = http.BaseAddress })
        {
            Assert.Equal(HttpStatusCode.Forbidden, await DockerRuntimeFixture.StatusAsync(anonymous, "api/kernels"));
        }

        using var created = await http.PostAsJsonAsync("api/kernels", new { name = "python3" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var kernel = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = kernel.GetProperty("id").GetString();
        using var deleted = await http.DeleteAsync($"api/kernels/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task EnsureCreated_ForARunningEnvironment_ReturnsItWithoutASecondContainer()
    {
        var again = await fixture.Runtime.EnsureCreatedAsync(fixture.Shared, CancellationToken.None);
        Assert.Equal(fixture.SharedInstance.ContainerId, again.ContainerId);
        Assert.Equal(WorkspaceState.Running, again.State);

        var started = await fixture.Runtime.StartAsync(fixture.Shared.EnvironmentId, CancellationToken.None);
        Assert.Equal(fixture.SharedInstance.ContainerId, started.ContainerId);
        Assert.Equal(fixture.SharedInstance.JupyterUpstream, started.JupyterUpstream);

        var managed = await fixture.Runtime.ListManagedAsync(fixture.PlatformId, CancellationToken.None);
        var listed = Assert.Single(managed, instance => instance.EnvironmentId == fixture.Shared.EnvironmentId);
        Assert.Equal(fixture.SharedInstance.ContainerId, listed.ContainerId);
        Assert.Equal(WorkspaceState.Running, listed.State);
        Assert.Equal(fixture.Shared.SshHostPort, listed.SshPort);
        Assert.Equal(fixture.Shared.OwnerId, listed.OwnerId);
        Assert.Equal(fixture.SharedInstance.JupyterUpstream, listed.JupyterUpstream);
    }

    [Fact]
    public async Task SetPassword_ThroughExecWithTheHashOnStdin_ReplacesTheOldPassword()
    {
        var newPassword = CredentialGenerator.NewPassword();
        try
        {
            var result = await SetPasswordAsync(PasswordHasher.Hash(newPassword));
            Assert.True(result.ExitCode == 0, result.StandardError);

            Assert.Equal("remotegpu", DockerRuntimeFixture.RunOverSsh(SshPort, "remotegpu", newPassword, "whoami"));
            Assert.Throws<SshAuthenticationException>(() =>
                DockerRuntimeFixture.ConnectSsh(SshPort, "remotegpu", new PasswordAuthenticationMethod("remotegpu", fixture.SharedPassword)).Dispose());
        }
        finally
        {
            // The other tests of the collection log in with the original password.
            var restored = await SetPasswordAsync(fixture.Shared.PasswordHash);
            Assert.Equal(0, restored.ExitCode);
        }
    }

    [Fact]
    public async Task Exec_ReportsExitCodeAndBothStreams()
    {
        var result = await fixture.Runtime.ExecAsync(
            fixture.Shared.EnvironmentId, ["sh", "-c", "cat; echo oops >&2; exit 3"], "from stdin", CancellationToken.None);
        Assert.Equal(new ExecResult(3, "from stdin", "oops\n", Truncated: false), result);

        var large = await fixture.Runtime.ExecAsync(
            fixture.Shared.EnvironmentId, ["sh", "-c", "head -c 200000 /dev/zero | tr '\\0' a"], null, CancellationToken.None);
        Assert.Equal(0, large.ExitCode);
        Assert.True(large.Truncated);
        Assert.Equal(ExecResult.OutputLimitBytes, large.StandardOutput.Length);
    }

    private Task<ExecResult> SetPasswordAsync(string hash) =>
        fixture.Runtime.ExecAsync(fixture.Shared.EnvironmentId, ["remotegpu-entrypoint", "set-password"], hash + "\n", CancellationToken.None);
}
