using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Docker.DotNet;
using RemoteGpu.Core.Credentials;
using RemoteGpu.Tests.Infrastructure;
using Xunit.Abstractions;
using static RemoteGpu.Tests.Environments.EnvironmentDriver;

namespace RemoteGpu.Tests.Proxy;

/// <summary>
/// What an attacker found at the edge (issue 21), one regression test per finding, through the real platform
/// (finding 6, return URLs, is with the sign-in page's tests).
/// </summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed partial class AttackerFindingsTests(PlatformFixture platform, ITestOutputHelper output) : IAsyncLifetime
{
    private const string EvilOrigin = "http://evil.example";
    private readonly EdgeDriver _edge = new(platform);

    public Task InitializeAsync() => EnsureTestImageListedAsync(platform);

    public Task DisposeAsync()
    {
        _edge.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Finding 1, the network: from B's workspace, as the user B logs in as, A's sshd, Jupyter and code-server answered on
    /// A's container address, and nothing kept B from the platform's Postgres and Redis.
    /// </summary>
    [Fact]
    public async Task Finding1_FromInsideBsWorkspace_NothingOfAsNorThePlatformsStoresAnswers_WhileBsOwnServicesWorkThroughTheEdge()
    {
        var a = await platform.CreateUserAsync();
        var b = await platform.CreateUserAsync();
        var bearerB = await EdgeDriver.CreateTokenAsync(b.Client);
        var idA = await RunningEnvironmentAsync(a, await EdgeDriver.CreateTokenAsync(a.Client));
        var createdB = await CreateAsync(b.Client);
        var idB = createdB.GetProperty("environment").GetProperty("id").GetString()!;
        var sshB = createdB.GetProperty("access_info").GetProperty("ssh");
        await WaitForStatusAsync(b.Client, idB, "running");
        try
        {
            using var docker = new DockerClientBuilder().Build();
            var workspaceA = await docker.Containers.InspectContainerAsync($"remotegpu-{idA}");
            var addressOfA = Assert.Single(workspaceA.NetworkSettings!.Networks!.Values).IPAddress;
            var gateway = (await docker.Networks.InspectNetworkAsync(Assert.Single(workspaceA.NetworkSettings.Networks.Keys))).IPAM!.Config!.Single().Gateway;
            var targets = new List<(string What, string Host, string Port)>
            {
                ("A's sshd", addressOfA, "22"), ("A's Jupyter", addressOfA, "8888"), ("A's code-server", addressOfA, "8080"),
                ("A's Jupyter on the host", gateway, workspaceA.NetworkSettings.Ports!["8888/tcp"]![0].HostPort),
                ("A's code-server on the host", gateway, workspaceA.NetworkSettings.Ports["8080/tcp"]![0].HostPort),
            };
            foreach (var (resource, port) in new[] { ("postgres", "5432/tcp"), ("redis", "6379/tcp") })
            {
                var store = await docker.Containers.InspectContainerAsync(platform.App.Snapshot(resource).ContainerId());
                targets.AddRange(store.NetworkSettings!.Networks!.Values.Select(n => ($"{resource} in its container", n.IPAddress, port.Split('/')[0])));
                targets.AddRange(store.NetworkSettings.Ports![port]!.Select(p => ($"{resource} published on the host", gateway, p.HostPort)));
            }

            using var ssh = Ssh(sshB.GetProperty("port").GetInt32(), "remotegpu", sshB.GetProperty("password").GetString()!);
            ssh.ConnectRetryingTransport();
            // The probe works: B's own sshd answers B.
            Assert.Equal("open", Run(ssh, "timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/22' 2>/dev/null && echo open || echo closed"));
            foreach (var (what, host, port) in targets)
            {
                var answer = Run(ssh, $"timeout 3 bash -c 'exec 3<>/dev/tcp/{host}/{port}' 2>/dev/null && echo open || echo closed");
                output.WriteLine($"{what} ({host}:{port}) from B: {answer}");
                Assert.True(answer == "closed", $"{what} ({host}:{port}) answered B's workspace.");
            }

            // B's own Jupyter, through the edge.
            await _edge.WaitForAsync(idB, "/jupyter/api/status", bearerB, s => s == HttpStatusCode.OK, TimeSpan.FromMinutes(1));
        }
        finally
        {
            await DeleteEnvironmentAsync(a, idA);
            await DeleteEnvironmentAsync(b, idB);
        }
    }

    /// <summary>
    /// Finding 1, the credential: a grantee printed the Jupyter token from a kernel's environment, and after the revocation
    /// (and a stop and start) it still opened kernels and listed the owner's files.
    /// </summary>
    [Fact]
    public async Task Finding1_TheJupyterTokenIsNotInAKernelsEnvironment_AndARevokedGranteesCopyNoLongerWorksByAnyPath()
    {
        var owner = await platform.CreateUserAsync();
        var grantee = await platform.CreateUserAsync();
        var ownerBearer = await EdgeDriver.CreateTokenAsync(owner.Client);
        var granteeBearer = await EdgeDriver.CreateTokenAsync(grantee.Client);
        var id = await RunningEnvironmentAsync(owner, ownerBearer);
        try
        {
            using var granted = await owner.Client.PostAsync($"/api/environments/{id}/grants", new { user_name = grantee.UserName, expires_at = DateTimeOffset.UtcNow.AddDays(1) });
            Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
            var grantId = (await ApiClient.ReadAsync(granted)).GetProperty("id").GetString();
            var copied = await platform.JupyterTokenAsync(id); // what the grantee could have seen of the edge's traffic

            // The grantee runs code in a kernel: the token is not in its environment (which is there: PATH).
            await _edge.WaitForAsync(id, "/jupyter/api/status", granteeBearer, s => s == HttpStatusCode.OK, TimeSpan.FromMinutes(1));
            using var kernel = await _edge.SendAsync(HttpMethod.Post, id, "/jupyter/api/kernels", granteeBearer, content: Json("{}"));
            Assert.Equal(HttpStatusCode.Created, kernel.StatusCode);
            using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
            using (var socket = await _edge.ConnectWebSocketAsync(id, $"/jupyter/api/kernels/{JsonOf(await kernel.Content.ReadAsStringAsync())}/channels", granteeBearer, timeout.Token))
            {
                var environment = await EdgeDriver.RunInKernelAsync(socket, "import os\nfor k, v in sorted(os.environ.items()): print(f'{k}={v}')", timeout.Token);
                Assert.Contains("PATH=", environment, StringComparison.Ordinal);
                Assert.DoesNotContain(copied, environment, StringComparison.Ordinal);
                // Nor in any file the workspace user can read (the token is split so that the cell's own text never holds it).
                var files = await EdgeDriver.RunInKernelAsync(socket,
                    $"import subprocess\nt = '{copied[..16]}' + '{copied[16..]}'\n"
                    + "r = subprocess.run(['grep', '-rls', t, '/run', '/etc', '/home', '/workspace', '/tmp', '/var/lib', '/usr/local/lib'], capture_output=True, text=True)\n"
                    + "print(f'exit {r.returncode}: {r.stdout}')", timeout.Token);
                // grep: 1 for no match, 2 when some files were unreadable too; either way nothing listed.
                Assert.Matches("^exit [12]:$", files.Trim());
            }

            // Revoked: the edge refuses the grantee, and the copy is void on the host's own path to Jupyter.
            using (var revoked = await owner.Client.DeleteAsync($"/api/environments/{id}/grants/{grantId}"))
            {
                Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
            }
            await Poll.UntilAsync(async () => await platform.JupyterTokenAsync(id) != copied, TimeSpan.FromSeconds(30), "a new Jupyter token after the revocation");
            var upstream = (await AccessRowAsync(platform, id)).JupyterUpstream!;
            Assert.Equal(HttpStatusCode.Forbidden, await JupyterStatusAsync(upstream, copied));
            await _edge.WaitForAsync(id, "/jupyter/api/status", granteeBearer, s => s == HttpStatusCode.Forbidden, TimeSpan.FromSeconds(5));
            // The owner goes on through the edge with the new token.
            await _edge.WaitForAsync(id, "/jupyter/api/status", ownerBearer, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(30));

            // A stop and start issues another token; the one before it is void too.
            var beforeRestart = await platform.JupyterTokenAsync(id);
            Assert.Equal(HttpStatusCode.Accepted, (await owner.Client.PostAsync($"/api/environments/{id}/stop")).StatusCode);
            await WaitForStatusAsync(owner.Client, id, "stopped");
            Assert.Equal(HttpStatusCode.Accepted, (await owner.Client.PostAsync($"/api/environments/{id}/start")).StatusCode);
            await WaitForStatusAsync(owner.Client, id, "running");
            await _edge.WaitForAsync(id, "/jupyter/api/status", ownerBearer, s => s == HttpStatusCode.OK, TimeSpan.FromMinutes(1));
            Assert.NotEqual(beforeRestart, await platform.JupyterTokenAsync(id));
            var restarted = (await AccessRowAsync(platform, id)).JupyterUpstream!;
            Assert.Equal(HttpStatusCode.Forbidden, await JupyterStatusAsync(restarted, beforeRestart));
            Assert.Equal(HttpStatusCode.Forbidden, await JupyterStatusAsync(restarted, copied));
        }
        finally
        {
            await DeleteEnvironmentAsync(owner, id);
        }
    }

    /// <summary>Finding 1: a grant that simply expires ends its holder's copy of the token too (the reconciler notices).</summary>
    [Fact]
    public async Task Finding1_WhenAGrantExpires_TheTokenItsHolderCouldHaveSeenIsReplaced()
    {
        var owner = await platform.CreateUserAsync();
        var grantee = await platform.CreateUserAsync();
        var ownerBearer = await EdgeDriver.CreateTokenAsync(owner.Client);
        var id = await RunningEnvironmentAsync(owner, ownerBearer);
        try
        {
            var expiresAt = DateTimeOffset.UtcNow.AddSeconds(5);
            using (var granted = await owner.Client.PostAsync($"/api/environments/{id}/grants", new { user_name = grantee.UserName, expires_at = expiresAt }))
            {
                Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
            }
            var seen = await platform.JupyterTokenAsync(id);

            await Poll.UntilAsync(async () => await platform.JupyterTokenAsync(id) != seen, TimeSpan.FromSeconds(90), "a new Jupyter token after the grant expired");
            var access = await AccessRowAsync(platform, id);
            Assert.True(access.JupyterTokenIssuedAt >= expiresAt, $"issued {access.JupyterTokenIssuedAt:O}, before the expiry {expiresAt:O}");
            Assert.Equal(HttpStatusCode.Forbidden, await JupyterStatusAsync(access.JupyterUpstream!, seen));
            await _edge.WaitForAsync(id, "/jupyter/api/status", ownerBearer, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        }
        finally
        {
            await DeleteEnvironmentAsync(owner, id);
        }
    }

    private static async Task<HttpStatusCode> JupyterStatusAsync(string upstream, string token)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{upstream}/jupyter/api/status");
        request.Headers.Authorization = new("token", token);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>Finding 2: a page of another site drove the user's Jupyter with their environment cookie.</summary>
    [Fact]
    public async Task Finding2_CrossOriginWebSocketAndPost_WithTheEnvironmentCookie_AreRefused_WhileTheOwnOriginAndBearerTokensPass()
    {
        var owner = await platform.CreateUserAsync();
        var bearer = await EdgeDriver.CreateTokenAsync(owner.Client);
        var id = await RunningEnvironmentAsync(owner, bearer);
        using var browser = new HandOffClient(platform);
        await browser.SignInAsync(owner.UserName, owner.Password);
        var cookie = "remotegpu_env=" + await browser.HandOffAsync(id);
        using var kernel = await _edge.SendAsync(HttpMethod.Post, id, "/jupyter/api/kernels", bearer, content: Json("{}"));
        Assert.Equal(HttpStatusCode.Created, kernel.StatusCode);
        var channels = $"/jupyter/api/kernels/{JsonOf(await kernel.Content.ReadAsStringAsync())}/channels";
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));

        // Another site's page, with the user's cookie: no WebSocket, no new file.
        Assert.Equal(HttpStatusCode.Forbidden, await _edge.WebSocketUpgradeAsync(id, channels, null, timeout.Token, cookie, EvilOrigin));
        using (var post = await _edge.SendAsync(HttpMethod.Post, id, "/jupyter/api/contents", content: Text("{\"type\":\"file\",\"ext\":\".txt\"}"),
            cookie: cookie, origin: EvilOrigin))
        {
            Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        }
        using (var noOrigin = await _edge.SendAsync(HttpMethod.Post, id, "/jupyter/api/contents", content: Json("{\"type\":\"file\"}"),
            cookie: cookie, origin: string.Empty))
        {
            Assert.Equal(HttpStatusCode.Forbidden, noOrigin.StatusCode);
        }

        // The environment's own pages, with the cookie; an API client with a bearer token and no Origin.
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await _edge.WebSocketUpgradeAsync(id, channels, null, timeout.Token, cookie));
        using (var post = await _edge.SendAsync(HttpMethod.Post, id, "/jupyter/api/contents", content: Json("{\"type\":\"file\",\"ext\":\".txt\"}"), cookie: cookie))
        {
            Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        }
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await _edge.WebSocketUpgradeAsync(id, channels, bearer, timeout.Token, origin: string.Empty));
        using (var post = await _edge.SendAsync(HttpMethod.Post, id, "/jupyter/api/contents", bearer, content: Json("{\"type\":\"file\"}"), origin: string.Empty))
        {
            Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        }

        await DeleteEnvironmentAsync(owner, id);
    }

    /// <summary>
    /// Finding 3: a tenant's large text file, fetched through the edge, was held whole in the Proxy's memory, and a
    /// few at once took the edge down for everyone.
    /// </summary>
    [Fact]
    public async Task Finding3_AGigabyteDownload_StreamsThroughTheEdge_InBoundedMemory_AndTenAtOnceDoNotStopOtherUsers()
    {
        const long Size = 1L << 30;
        var attacker = await platform.CreateUserAsync();
        var bearer = await EdgeDriver.CreateTokenAsync(attacker.Client);
        var created = await CreateAsync(attacker.Client);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;
        var ssh = created.GetProperty("access_info").GetProperty("ssh");
        await WaitForStatusAsync(attacker.Client, id, "running");
        await _edge.WaitForAsync(id, "/jupyter/api/status", bearer, s => s == HttpStatusCode.OK, TimeSpan.FromMinutes(1));
        using (var client = Ssh(ssh.GetProperty("port").GetInt32(), "remotegpu", ssh.GetProperty("password").GetString()!))
        {
            client.ConnectRetryingTransport();
            // Text, which the edge scanned (and held) whole for the Jupyter token.
            Run(client, $"yes 'a line of text' | head -c {Size.ToString(CultureInfo.InvariantCulture)} > /workspace/big.txt");
        }

        var proxyPid = ProcessTree.ChildrenOf(platform.App.Snapshot("proxy").ProcessId()).Single();
        var before = ResidentMegabytes(proxyPid);
        var peak = before;
        // A sample every 50 ms until the download ends (disposing the timer ends the loop).
        var sampling = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        var sampler = Task.Run(async () =>
        {
            do
            {
                peak = Math.Max(peak, ResidentMegabytes(proxyPid));
            }
            while (await sampling.WaitForNextTickAsync());
        });
        Assert.Equal(Size, await DownloadAsync(id, bearer));
        sampling.Dispose();
        await sampler;
        output.WriteLine($"The Proxy's resident memory: {before:F0} MB before, at most {peak:F0} MB during a 1 GB download");
        Assert.True(peak - before <= 50, $"The Proxy grew by {peak - before:F0} MB while streaming 1 GB.");

        // Another user keeps using their environment while ten of these downloads run.
        var other = await platform.CreateUserAsync();
        var otherBearer = await EdgeDriver.CreateTokenAsync(other.Client);
        await using var upstream = await EchoUpstream.StartAsync();
        var otherId = await upstream.CreateEnvironmentAsync(platform, _edge, other, otherBearer);
        var clock = Stopwatch.StartNew();
        var downloads = Task.WhenAll(Enumerable.Range(0, 10).Select(_ => DownloadAsync(id, bearer)));
        var latencies = new List<double>();
        while (!downloads.IsCompleted)
        {
            var sent = Stopwatch.StartNew();
            using var response = await _edge.GetAsync(otherId, "/jupyter/api/status", otherBearer);
            latencies.Add(sent.Elapsed.TotalMilliseconds);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.All(await downloads, length => Assert.Equal(Size, length));
        latencies.Sort();
        var p99 = latencies[(int)Math.Ceiling(0.99 * latencies.Count) - 1];
        output.WriteLine($"Ten 1 GB downloads in {clock.Elapsed.TotalSeconds:F1} s; meanwhile another user's {latencies.Count} requests: " +
            $"p50 {latencies[latencies.Count / 2]:F1} ms, p99 {p99:F1} ms");
        Assert.True(latencies.Count >= 10, $"Only {latencies.Count} requests of another user went through during the downloads.");
        Assert.True(p99 < 2000, $"Another user's p99 was {p99:F0} ms during the downloads.");

        await DeleteEnvironmentAsync(attacker, id);
    }

    /// <summary>Finding 4: a workspace could set the platform's cookies, or any cookie for the whole domain.</summary>
    [Fact]
    public async Task Finding4_AWorkspacesSetCookie_ForThePlatformOrWithADomain_NeverReachesTheBrowser()
    {
        var owner = await platform.CreateUserAsync();
        var bearer = await EdgeDriver.CreateTokenAsync(owner.Client);
        await using var upstream = await EchoUpstream.StartAsync();
        var id = await upstream.CreateEnvironmentAsync(platform, _edge, owner, bearer);
        string[] hostile = ["remotegpu_session=fixed; Path=/", "remotegpu_env=fixed", "REMOTEGPU_SESSION=x", "tossed=1; Domain=localhost; Path=/", "neighbour=1; Domain=env-00000000.localhost"];
        const string Own = "_xsrf=workspace-own; Path=/jupyter/";
        // code-server on a real domain names its own host: kept, as a host-only cookie.
        var ownDomain = $"code-server-session=abc; Domain={id}.{platform.EnvironmentDomain}; Path=/; HttpOnly";
        var ownDomainHostOnly = "code-server-session=abc; path=/; httponly";

        var query = string.Join('&', hostile.Append(Own).Append(ownDomain).Select(cookie => "set-cookie=" + Uri.EscapeDataString(cookie)));
        using var response = await _edge.GetAsync(id, "/jupyter/api/status?" + query, bearer);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([Own, ownDomainHostOnly], response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : []);
    }

    /// <summary>Finding 8: anonymous callers and the hand-off told an environment that exists from one that does not.</summary>
    [Fact]
    public async Task Finding8_AnUnknownAndAnotherUsersEnvironment_LookTheSame_ToAnonymousCallersAndAtTheHandOff()
    {
        var owner = await platform.CreateUserAsync();
        var stranger = await platform.CreateUserAsync();
        var existing = await platform.CreateEnvironmentRowAsync(owner.Id);
        string unknown;
        do
        {
            unknown = CredentialGenerator.NewEnvironmentId();
        }
        while (unknown == existing);

        // Anonymous, at the edge: an API client and a browser.
        foreach (var accept in new[] { "application/json", "text/html" })
        {
            using var a = await _edge.GetAsync(existing, "/jupyter/api/status", accept: accept);
            using var b = await _edge.GetAsync(unknown, "/jupyter/api/status", accept: accept);
            Assert.Equal(a.StatusCode, b.StatusCode);
            Assert.Equal(Normalised(await a.Content.ReadAsStringAsync(), existing), Normalised(await b.Content.ReadAsStringAsync(), unknown));
            Assert.Equal(a.Headers.Location?.OriginalString.Replace(existing, "{id}", StringComparison.Ordinal),
                b.Headers.Location?.OriginalString.Replace(unknown, "{id}", StringComparison.Ordinal));
        }

        // Signed in at the hand-off, as a stranger to both.
        using var browser = new HandOffClient(platform);
        await browser.SignInAsync(stranger.UserName, stranger.Password);
        using var forbidden = await browser.GetAsync(browser.Platform($"/api/auth/environment-session?environment={existing}&return_url=%2Fjupyter%2F"));
        using var missing = await browser.GetAsync(browser.Platform($"/api/auth/environment-session?environment={unknown}&return_url=%2Fjupyter%2F"));
        Assert.Equal(HttpStatusCode.NotFound, forbidden.StatusCode);
        Assert.Equal(forbidden.StatusCode, missing.StatusCode);
        Assert.Equal(Normalised(await forbidden.Content.ReadAsStringAsync(), existing), Normalised(await missing.Content.ReadAsStringAsync(), unknown));
    }

    private async Task<string> RunningEnvironmentAsync(TestUser owner, string bearer)
    {
        var created = await CreateAsync(owner.Client);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;
        await WaitForStatusAsync(owner.Client, id, "running");
        await _edge.WaitForAsync(id, "/jupyter/api/status", bearer, s => s == HttpStatusCode.OK, TimeSpan.FromMinutes(1));
        return id;
    }

    private static async Task DeleteEnvironmentAsync(TestUser owner, string id)
    {
        using var deleted = await owner.Client.DeleteAsync($"/api/environments/{id}");
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        await WaitForDeletedAsync(owner.Client, id);
    }

    /// <summary>Downloads the big file through the edge, counting its bytes as they come; keeps none of them.</summary>
    private async Task<long> DownloadAsync(string id, string bearer)
    {
        using var response = await _edge.SendStreamingAsync(id, "/jupyter/files/big.txt", bearer);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            total += read;
        }
        return total;
    }

    private static double ResidentMegabytes(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Where(line => line.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(line => double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024)
            .Single();

    /// <summary>The body with the environment id and the request's trace id taken out: all else must be the same.</summary>
    private static string Normalised(string body, string environmentId) =>
        TraceId().Replace(body.Replace(environmentId, "{id}", StringComparison.Ordinal), "\"traceId\":\"-\"");

    [System.Text.RegularExpressions.GeneratedRegex("\"traceId\":\"[^\"]*\"")]
    private static partial System.Text.RegularExpressions.Regex TraceId();

    private static string JsonOf(string kernel) => System.Text.Json.JsonDocument.Parse(kernel).RootElement.GetProperty("id").GetString()!;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>A simple request a page of any site may send without asking first (no preflight): text/plain.</summary>
    private static StringContent Text(string body) => new(body, Encoding.UTF8, "text/plain");
}
