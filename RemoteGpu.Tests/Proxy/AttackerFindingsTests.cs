using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
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
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, ResidentMegabytes(proxyPid));
                await Task.Delay(TimeSpan.FromMilliseconds(50));
            }
        });
        Assert.Equal(Size, await DownloadAsync(id, bearer));
        await sampling.CancelAsync();
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
        string[] hostile = ["remotegpu_session=fixed; Path=/", "remotegpu_env=fixed", "REMOTEGPU_SESSION=x", "tossed=1; Domain=localhost; Path=/"];
        const string Own = "_xsrf=workspace-own; Path=/jupyter/";

        var query = string.Join('&', hostile.Append(Own).Select(cookie => "set-cookie=" + Uri.EscapeDataString(cookie)));
        using var response = await _edge.GetAsync(id, "/jupyter/api/status?" + query, bearer);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([Own], response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : []);
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
