using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;
using Renci.SshNet;
using RemoteGpu.Tests.Infrastructure;
using static RemoteGpu.Tests.Environments.EnvironmentDriver;

namespace RemoteGpu.Tests.Environments;

/// <summary>
/// Environments end to end: the Api, the provisioning stream, the Worker and the real Docker engine,
/// used over SSH with the returned password, as their owner would.
/// </summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class EnvironmentLifecycleTests(PlatformFixture platform) : IAsyncLifetime
{
    private readonly DockerClient _docker = new DockerClientBuilder().Build();
    private readonly string _keys = Directory.CreateTempSubdirectory("remotegpu-e2e-keys-").FullName;

    public Task InitializeAsync() => EnsureTestImageListedAsync(platform);

    public Task DisposeAsync()
    {
        _docker.Dispose();
        Directory.Delete(_keys, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Create_ReturnsAccessOnce_AndTheOwnerLogsInOverSshAsTheWorkspaceUser()
    {
        var user = await platform.CreateUserAsync();
        var key = await SshKeygen.GenerateAsync(_keys);
        Assert.Equal(HttpStatusCode.Created, (await user.Client.PostAsync("/api/me/ssh-keys", new { public_key = key.PublicKey })).StatusCode);

        var created = await CreateAsync(user.Client);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;
        var ssh = created.GetProperty("access_info").GetProperty("ssh");
        var port = ssh.GetProperty("port").GetInt32();
        var password = ssh.GetProperty("password").GetString()!;
        Assert.Matches("^env-[0-9a-f]{8}$", id);
        Assert.Equal($"ssh -p {port} remotegpu@{id}.localhost", ssh.GetProperty("command").GetString());
        // The Jupyter token is the edge's alone: never handed to the user.
        Assert.Equal(JsonValueKind.Null, created.GetProperty("access_info").GetProperty("jupyter").GetProperty("token").ValueKind);
        // The URLs open as given: the environment's host on the edge's own port.
        var edgePort = platform.ProxyAddress.Port;
        Assert.Equal($"http://{id}.localhost:{edgePort}/jupyter/", created.GetProperty("access_info").GetProperty("jupyter").GetProperty("url").GetString());
        Assert.Equal($"http://{id}.localhost:{edgePort}/code/", created.GetProperty("access_info").GetProperty("code_server").GetProperty("url").GetString());

        await WaitForStatusAsync(user.Client, id, "running");

        using (var client = Ssh(port, "remotegpu", password))
        {
            client.ConnectRetryingTransport();
            Assert.Equal("remotegpu", Run(client, "whoami"));
            Assert.NotEqual("0", Run(client, "id -u"));
        }
        Assert.False(CanLogIn(port, "root", password));
        using (var byKey = new SshClient(new ConnectionInfo("127.0.0.1", port, "remotegpu", new PrivateKeyAuthenticationMethod("remotegpu", new PrivateKeyFile(key.PrivateKeyFile)))))
        {
            byKey.ConnectRetryingTransport();
            Assert.Equal("remotegpu", Run(byKey, "whoami"));
        }

        // The access endpoint tells how to connect, never the secrets.
        var access = await (await user.Client.GetAsync($"/api/environments/{id}/access")).Content.ReadAsStringAsync();
        Assert.Contains($"\"port\":{port}", access, StringComparison.Ordinal);
        Assert.DoesNotContain(password, access, StringComparison.Ordinal);

        // The container got the bcrypt hash, never the plaintext.
        var container = await _docker.Containers.InspectContainerAsync($"remotegpu-{id}");
        Assert.DoesNotContain(container.Config!.Env, e => e.Contains(password, StringComparison.Ordinal));
        Assert.Contains(container.Config.Env, e => e.StartsWith("REMOTEGPU_PASSWORD_HASH=$2b$12$", StringComparison.Ordinal));

        await DeleteAndWaitAsync(user.Client, id);
    }

    [Fact]
    public async Task Jupyter_AnswersOnItsRecordedUpstream_OnlyWithTheEdgesToken()
    {
        var user = await platform.CreateUserAsync();
        var created = await CreateAsync(user.Client);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;
        await WaitForStatusAsync(user.Client, id, "running");
        var token = await platform.JupyterTokenAsync(id);
        var upstream = (await AccessRowAsync(platform, id)).JupyterUpstream;
        Assert.NotNull(upstream);

        using var http = new HttpClient { BaseAddress = new Uri(upstream) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", token);
        HttpResponseMessage? kernel = null;
        await Poll.UntilAsync(async () =>
        {
            try
            {
                kernel = await http.PostAsync(new Uri("/jupyter/api/kernels", UriKind.Relative), new StringContent("{}"));
                return kernel.StatusCode == HttpStatusCode.Created;
            }
            catch (HttpRequestException)
            {
                return false; // Jupyter starts after sshd, off the critical path.
            }
        }, TimeSpan.FromMinutes(1), "Jupyter kernel created");
        var kernelId = (await ApiClient.ReadAsync(kernel!)).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync(new Uri($"/jupyter/api/kernels/{kernelId}", UriKind.Relative))).StatusCode);

        // A client without the token is refused (Jupyter logs nobody in by cookie).
        using var anonymous = new HttpClient { BaseAddress = new Uri(upstream) };
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync(new Uri("/jupyter/api/kernels", UriKind.Relative))).StatusCode);
        await DeleteAndWaitAsync(user.Client, id);
    }

    [Fact]
    public async Task Workspace_SurvivesStopAndStart_AndDeleteLeavesNothingAndFreesThePort()
    {
        var user = await platform.CreateUserAsync();
        var created = await CreateAsync(user.Client);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;
        var port = created.GetProperty("access_info").GetProperty("ssh").GetProperty("port").GetInt32();
        var password = created.GetProperty("access_info").GetProperty("ssh").GetProperty("password").GetString()!;
        await WaitForStatusAsync(user.Client, id, "running");
        using (var ssh = Ssh(port, "remotegpu", password))
        {
            ssh.ConnectRetryingTransport();
            Run(ssh, "echo kept > /workspace/notes.txt");
        }

        Assert.Equal(HttpStatusCode.Accepted, (await user.Client.PostAsync($"/api/environments/{id}/stop")).StatusCode);
        await WaitForStatusAsync(user.Client, id, "stopped");
        Assert.False((await _docker.Containers.InspectContainerAsync($"remotegpu-{id}")).State!.Running);
        Assert.Equal(HttpStatusCode.Accepted, (await user.Client.PostAsync($"/api/environments/{id}/start")).StatusCode);
        await WaitForStatusAsync(user.Client, id, "running");
        using (var ssh = Ssh(port, "remotegpu", password))
        {
            ssh.ConnectRetryingTransport();
            Assert.Equal("kept", Run(ssh, "cat /workspace/notes.txt"));
        }

        await DeleteAndWaitAsync(user.Client, id);
        var containers = await _docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"remotegpu.env-id={id}"] = true } },
        });
        Assert.Empty(containers);
        var volumes = await _docker.Volumes.ListAsync(CancellationToken.None);
        Assert.DoesNotContain(volumes.Volumes ?? [], v => v.Name.Contains(id, StringComparison.Ordinal));
        Assert.True(Ports.IsFree(port));

        // The lowest free port is given next: the freed one comes back.
        var next = await CreateAsync(user.Client);
        Assert.Equal(port, next.GetProperty("access_info").GetProperty("ssh").GetProperty("port").GetInt32());
        await DeleteAndWaitAsync(user.Client, next.GetProperty("environment").GetProperty("id").GetString()!);
    }

    [Fact]
    public async Task Reveal_WorksOnceThenIsGone_AndResetSwapsThePasswordInsideTheContainer()
    {
        var user = await platform.CreateUserAsync();
        var created = await CreateAsync(user.Client);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;
        var port = created.GetProperty("access_info").GetProperty("ssh").GetProperty("port").GetInt32();
        var original = created.GetProperty("access_info").GetProperty("ssh").GetProperty("password").GetString()!;

        var other = await platform.CreateUserAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await other.Client.PostAsync($"/api/environments/{id}/credentials/reveal")).StatusCode);
        using var revealed = await user.Client.PostAsync($"/api/environments/{id}/credentials/reveal");
        Assert.Equal(HttpStatusCode.OK, revealed.StatusCode);
        Assert.Equal(original, (await ApiClient.ReadAsync(revealed)).GetProperty("password").GetString());
        Assert.Equal(HttpStatusCode.Gone, (await user.Client.PostAsync($"/api/environments/{id}/credentials/reveal")).StatusCode);

        await WaitForStatusAsync(user.Client, id, "running");
        Assert.True(CanLogIn(port, "remotegpu", original));
        using var reset = await user.Client.PostAsync($"/api/environments/{id}/credentials/reset");
        Assert.Equal(HttpStatusCode.Accepted, reset.StatusCode);
        var fresh = (await ApiClient.ReadAsync(reset)).GetProperty("password").GetString()!;
        Assert.NotEqual(original, fresh);

        await Poll.UntilAsync(() => CanLogIn(port, "remotegpu", fresh), ConvergeTimeout, "login with the new password");
        Assert.False(CanLogIn(port, "remotegpu", original));
        await DeleteAndWaitAsync(user.Client, id);
    }

    [Fact]
    public async Task AKeyAddedLater_ReachesTheRunningEnvironment_AndADeletedOneStopsWorkingThere()
    {
        var user = await platform.CreateUserAsync();
        var created = await CreateAsync(user.Client);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;
        var port = created.GetProperty("access_info").GetProperty("ssh").GetProperty("port").GetInt32();
        var password = created.GetProperty("access_info").GetProperty("ssh").GetProperty("password").GetString()!;
        await WaitForStatusAsync(user.Client, id, "running");
        var key = await SshKeygen.GenerateAsync(_keys);

        using var added = await user.Client.PostAsync("/api/me/ssh-keys", new { public_key = key.PublicKey });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var keyId = (await ApiClient.ReadAsync(added)).GetProperty("id").GetString();
        await Poll.UntilAsync(() => CanLogInWithKey(port, key.PrivateKeyFile), ConvergeTimeout, "login with the added key");

        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.DeleteAsync($"/api/me/ssh-keys/{keyId}")).StatusCode);
        await Poll.UntilAsync(() => !CanLogInWithKey(port, key.PrivateKeyFile), ConvergeTimeout, "refusal of the deleted key");
        Assert.True(CanLogIn(port, "remotegpu", password));
        await DeleteAndWaitAsync(user.Client, id);
    }

    private static bool CanLogInWithKey(int port, string keyFile)
    {
        using var client = new SshClient(new ConnectionInfo("127.0.0.1", port, "remotegpu", new PrivateKeyAuthenticationMethod("remotegpu", new PrivateKeyFile(keyFile))));
        try
        {
            client.ConnectRetryingTransport();
            return client.IsConnected;
        }
        catch (Renci.SshNet.Common.SshAuthenticationException)
        {
            return false;
        }
    }

    [Fact]
    public async Task ARetriedCreateWithTheSameIdempotencyKey_ReturnsTheFirstEnvironment()
    {
        var user = await platform.CreateUserAsync();
        var key = Guid.NewGuid().ToString();

        var first = await CreateAsync(user.Client, idempotencyKey: key);
        var second = await CreateAsync(user.Client, idempotencyKey: key);

        var id = first.GetProperty("environment").GetProperty("id").GetString()!;
        Assert.Equal(id, second.GetProperty("environment").GetProperty("id").GetString());
        Assert.Equal(first.GetProperty("access_info").GetProperty("ssh").GetProperty("password").GetString(),
            second.GetProperty("access_info").GetProperty("ssh").GetProperty("password").GetString());
        var list = await ApiClient.ReadAsync(await user.Client.GetAsync("/api/environments"));
        Assert.Single(list.EnumerateArray());
        await DeleteAndWaitAsync(user.Client, id);
    }

    [Fact]
    public async Task DeletingTwice_SucceedsBothTimes_AndAnotherUsersEnvironmentIs404()
    {
        var user = await platform.CreateUserAsync();
        var other = await platform.CreateUserAsync();
        var created = await CreateAsync(user.Client);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;

        Assert.Equal(HttpStatusCode.NotFound, (await other.Client.GetAsync($"/api/environments/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Client.DeleteAsync($"/api/environments/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Client.PostAsync($"/api/environments/{id}/stop")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Client.PostAsync($"/api/environments/{id}/credentials/reset")).StatusCode);

        Assert.Equal(HttpStatusCode.Accepted, (await user.Client.DeleteAsync($"/api/environments/{id}")).StatusCode);
        var again = await user.Client.DeleteAsync($"/api/environments/{id}");
        Assert.True(again.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.NoContent, $"second delete: {(int)again.StatusCode}");
        await WaitForDeletedAsync(user.Client, id);
        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.DeleteAsync($"/api/environments/{id}")).StatusCode);
    }

    [Fact]
    public async Task DeletingWhileTheWorkerProvisions_IsAcceptedAndLeavesNoContainer()
    {
        var user = await platform.CreateUserAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var id = (await CreateAsync(user.Client)).GetProperty("environment").GetProperty("id").GetString()!;
            ids.Add(id);
            // Right away: the worker is creating or starting the container and writing its status.
            Assert.Equal(HttpStatusCode.Accepted, (await user.Client.DeleteAsync($"/api/environments/{id}")).StatusCode);
        }

        foreach (var id in ids)
        {
            await WaitForDeletedAsync(user.Client, id);
            var left = await _docker.Containers.ListContainersAsync(new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"remotegpu.env-id={id}"] = true } },
            });
            Assert.Empty(left);
        }
    }

    [Theory]
    [InlineData("Bad_Name", EnvironmentDriver.TestImage, 0, 1, 512, "name")]
    [InlineData("", EnvironmentDriver.TestImage, 0, 1, 512, "name")]
    [InlineData("ok", EnvironmentDriver.TestImage, -1, 1, 512, "gpu_count")]
    [InlineData("ok", EnvironmentDriver.TestImage, 99, 1, 512, "gpu_count")]
    [InlineData("ok", EnvironmentDriver.TestImage, 0, 0, 512, "cpu_cores")]
    [InlineData("ok", EnvironmentDriver.TestImage, 0, 1000, 512, "cpu_cores")]
    [InlineData("ok", EnvironmentDriver.TestImage, 0, 1, 1, "memory_mb")]
    [InlineData("ok", EnvironmentDriver.TestImage, 0, 1, 99_999_999, "memory_mb")]
    [InlineData("ok", "evil/not-on-the-list:latest", 0, 1, 512, "image")]
    public async Task Create_WithBadInput_Is400NamingTheField_AndCreatesNothing(string name, string image, int gpus, double cpus, int memory, string field)
    {
        var user = await platform.CreateUserAsync();

        using var response = await user.Client.PostAsync("/api/environments", new { name, image, gpu_count = gpus, cpu_cores = cpus, memory_mb = memory });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await ApiClient.ReadAsync(response)).GetProperty("errors").TryGetProperty(field, out _));
        Assert.Empty((await ApiClient.ReadAsync(await user.Client.GetAsync("/api/environments"))).EnumerateArray());
    }

    [Fact]
    public async Task Create_AskingForMoreGpusThanTheHostHas_Is409AndLeavesNothing()
    {
        var user = await platform.CreateUserAsync();

        using var response = await user.Client.PostAsync("/api/environments", new { name = "gpu", image = TestImage, gpu_count = 1, cpu_cores = 1, memory_mb = 512 });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Empty((await ApiClient.ReadAsync(await user.Client.GetAsync("/api/environments"))).EnumerateArray());
    }

    [Fact]
    public async Task Create_WhenThePortPoolIsExhausted_Is409AndLeavesNothing()
    {
        var user = await platform.CreateUserAsync();
        var port = Ports.Free();
        // A second Api whose host has a pool of exactly one port.
        await using var tiny = await platform.StartExtraApiAsync(
            ("Placement__HostName", "tiny-" + Guid.NewGuid().ToString("N")[..6]), ("Placement__SshPortFirst", port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("Placement__SshPortLast", port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        using var client = new ApiClient(tiny.Address);
        Assert.Equal(HttpStatusCode.OK, (await client.LoginAsync(user.UserName, user.Password)).StatusCode);

        var first = await CreateAsync(client);
        using var second = await client.PostAsync("/api/environments", new { name = "second", image = TestImage, gpu_count = 0, cpu_cores = 1, memory_mb = 512 });

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var list = await ApiClient.ReadAsync(await client.GetAsync("/api/environments"));
        Assert.Equal(first.GetProperty("environment").GetProperty("id").GetString(), Assert.Single(list.EnumerateArray()).GetProperty("id").GetString());
        await DeleteAndWaitAsync(client, first.GetProperty("environment").GetProperty("id").GetString()!);
    }

    private static async Task DeleteAndWaitAsync(ApiClient client, string id)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await client.DeleteAsync($"/api/environments/{id}")).StatusCode);
        await WaitForDeletedAsync(client, id);
    }



}
