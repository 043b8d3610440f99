using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RemoteGpu.Core.Credentials;
using RemoteGpu.Tests.Infrastructure;
using static RemoteGpu.Tests.Environments.EnvironmentDriver;

namespace RemoteGpu.Tests.Proxy;

/// <summary>
/// The edge end to end (DESIGN.md §7): environments reached by host name through the proxy, routes
/// following Postgres within a second, authentication and authorisation before forwarding, the Jupyter
/// token injected and never shown, access audited once per session.
/// </summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class EdgeTests(PlatformFixture platform) : IAsyncLifetime
{
    private static readonly TimeSpan JupyterStartTimeout = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan RouteDelay = TimeSpan.FromSeconds(1);
    private readonly EdgeDriver _edge = new(platform);

    public Task InitializeAsync() => EnsureTestImageListedAsync(platform);

    public Task DisposeAsync()
    {
        _edge.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task TheOwner_UsesJupyterThroughTheEdge_KernelOverWebSocket_WithoutEverSeeingTheToken_AndIsAuditedOnce()
    {
        var owner = await platform.CreateUserAsync();
        var bearer = await EdgeDriver.CreateTokenAsync(owner.Client);
        var created = await CreateAsync(owner.Client);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;
        await WaitForStatusAsync(owner.Client, id, "running");
        var jupyterToken = await platform.JupyterTokenAsync(id);
        var seen = new List<string>();

        // No Jupyter token from the client: the edge injects it.
        seen.Add(await WaitForJupyterAsync(owner.Client, id, bearer));

        // A kernel over REST, as JupyterLab in a browser on env-<id>.localhost would.
        using var kernelResponse = await _edge.SendAsync(HttpMethod.Post, id, "/jupyter/api/kernels", bearer,
            content: new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        var kernelBody = await kernelResponse.Content.ReadAsStringAsync();
        Assert.True(kernelResponse.StatusCode == HttpStatusCode.Created, $"{(int)kernelResponse.StatusCode}: {kernelBody}");
        seen.Add(kernelBody);
        seen.AddRange(HeadersOf(kernelResponse));
        var kernelId = JsonDocument.Parse(kernelBody).RootElement.GetProperty("id").GetString()!;

        // Its channels over a WebSocket through the edge: print(6*7) comes back as a stream message.
        using (var cts = new CancellationTokenSource(JupyterStartTimeout))
        using (var socket = await _edge.ConnectWebSocketAsync(id, $"/jupyter/api/kernels/{kernelId}/channels", bearer, cts.Token))
        {
            var printed = await EdgeDriver.RunInKernelAsync(socket, "print(6*7)", cts.Token, seen.Add);
            Assert.Equal("42\n", printed);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        }

        using (var kernels = await _edge.GetAsync(id, "/jupyter/api/kernels", bearer))
        {
            Assert.Equal(HttpStatusCode.OK, kernels.StatusCode);
            seen.Add(await kernels.Content.ReadAsStringAsync());
            seen.AddRange(HeadersOf(kernels));
        }
        using (var root = await _edge.GetAsync(id, "/jupyter/", bearer, accept: "text/html"))
        {
            seen.Add(await root.Content.ReadAsStringAsync());
            seen.AddRange(HeadersOf(root));
        }

        // The token never reaches the client, in a header or a body.
        Assert.DoesNotContain(seen, text => text.Contains(jupyterToken, StringComparison.Ordinal));

        // Several requests, one session (the same token): one audit row.
        await using (var db = platform.CreateDbContext())
        {
            var rows = await db.AuditEvents.AsNoTracking()
                .Where(a => a.Action == "edge.access" && a.TargetId == id)
                .ToListAsync();
            var row = Assert.Single(rows);
            Assert.Equal(owner.Id, row.ActorId);
            Assert.Equal("environment", row.TargetType);
            Assert.Contains("jupyter", row.Details, StringComparison.Ordinal);
            Assert.Equal("RemoteGpu.Tests.Edge/1.0", row.UserAgent);
            Assert.False(string.IsNullOrEmpty(row.Address));
        }

        await DeleteAsync(owner.Client, id);
    }

    [Fact]
    public async Task Strangers_AreTurnedAway_AnonymousClientsAreChallenged_AndTheTokenStaysHidden()
    {
        var owner = await platform.CreateUserAsync();
        var ownerBearer = await EdgeDriver.CreateTokenAsync(owner.Client);
        var stranger = await platform.CreateUserAsync();
        var strangerBearer = await EdgeDriver.CreateTokenAsync(stranger.Client);
        var created = await CreateAsync(owner.Client);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;
        await WaitForStatusAsync(owner.Client, id, "running");
        await WaitForJupyterAsync(owner.Client, id, ownerBearer);
        var jupyterToken = await platform.JupyterTokenAsync(id);

        using (var forbidden = await _edge.GetAsync(id, "/jupyter/api/status", strangerBearer))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            Assert.DoesNotContain(jupyterToken, await forbidden.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var anonymousApi = await _edge.GetAsync(id, "/jupyter/api/status", accept: "application/json"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymousApi.StatusCode);
            Assert.Equal("application/problem+json", anonymousApi.Content.Headers.ContentType?.MediaType);
        }

        using (var anonymousBrowser = await _edge.GetAsync(id, "/jupyter/lab?x=1", accept: "text/html,application/xhtml+xml"))
        {
            Assert.Equal(HttpStatusCode.Redirect, anonymousBrowser.StatusCode);
            var port = platform.ProxyAddress.Port;
            var expected = $"http://localhost:{port}/api/auth/environment-session?environment={id}&return_url=" + WebUtility.UrlEncode("/jupyter/lab?x=1");
            Assert.Equal(expected, anonymousBrowser.Headers.Location?.AbsoluteUri);
        }

        using (var bad = await _edge.GetAsync(id, "/jupyter/api/status", "rgpu_" + new string('x', 40)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        }

        // The root goes to Jupyter; other paths are not the edge's.
        using (var root = await _edge.GetAsync(id, "/", ownerBearer))
        {
            Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
            Assert.Equal("/jupyter/", root.Headers.Location?.OriginalString);
        }
        using (var other = await _edge.GetAsync(id, "/elsewhere", ownerBearer))
        {
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        }

        // The stranger reached nothing, so nothing of theirs is audited.
        await using (var db = platform.CreateDbContext())
        {
            Assert.False(await db.AuditEvents.AnyAsync(a => a.Action == "edge.access" && a.ActorId == stranger.Id));
        }

        await DeleteAsync(owner.Client, id);
    }

    [Fact]
    public async Task ARoute_IsLiveWithinASecondOfRunning_AndGoneWithinASecondOfStopped()
    {
        var owner = await platform.CreateUserAsync();
        var bearer = await EdgeDriver.CreateTokenAsync(owner.Client);
        var created = await CreateAsync(owner.Client);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;

        // Not running yet: the edge knows it, and says so (this also warms the edge's first request).
        using (var early = await _edge.GetAsync(id, "/jupyter/api/status", bearer))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, early.StatusCode);
        }
        await WaitForStatusAsync(owner.Client, id, "running");
        var live = await _edge.WaitForAsync(id, "/jupyter/api/status", bearer,
            s => s is not (HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable), RouteDelay + TimeSpan.FromSeconds(1));
        Assert.True(live.SentAt < RouteDelay, $"The route took {live.SentAt} to appear.");

        Assert.Equal(HttpStatusCode.Accepted, (await owner.Client.PostAsync($"/api/environments/{id}/stop")).StatusCode);
        await WaitForStatusAsync(owner.Client, id, "stopped");
        var gone = await _edge.WaitForAsync(id, "/jupyter/api/status", bearer,
            s => s == HttpStatusCode.ServiceUnavailable, RouteDelay + TimeSpan.FromSeconds(1));
        Assert.True(gone.SentAt < RouteDelay, $"The route took {gone.SentAt} to go.");

        // The answer says why, without a query of the client's own.
        using (var stopped = await _edge.GetAsync(id, "/jupyter/api/status", bearer))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, stopped.StatusCode);
            Assert.Contains("stopped", await stopped.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await DeleteAsync(owner.Client, id);
        var deleted = await _edge.WaitForAsync(id, "/jupyter/api/status", bearer, s => s == HttpStatusCode.NotFound, TimeSpan.FromSeconds(5));
        Assert.Equal(HttpStatusCode.NotFound, deleted.Status);
    }

    [Fact]
    public async Task AnUnknownEnvironment_Is404_ToASignedInCaller_AsProblemJson_AndAChallengeToAnAnonymousOne()
    {
        var owner = await platform.CreateUserAsync();
        var bearer = await EdgeDriver.CreateTokenAsync(owner.Client);
        var id = CredentialGenerator.NewEnvironmentId();

        using (var api = await _edge.GetAsync(id, "/jupyter/api/status", bearer))
        {
            Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
            Assert.Equal("application/problem+json", api.Content.Headers.ContentType?.MediaType);
        }
        // Anonymous callers cannot tell it from an environment they may not open (issue 21, finding 8).
        using (var anonymousBrowser = await _edge.GetAsync(id, "/jupyter/", accept: "text/html"))
        {
            Assert.Equal(HttpStatusCode.Redirect, anonymousBrowser.StatusCode);
            Assert.Contains($"environment={id}", anonymousBrowser.Headers.Location?.Query, StringComparison.Ordinal);
        }
        using (var notAnEnvironment = await _edge.SendAsync(HttpMethod.Get, "not-an-environment", "/jupyter/", accept: "text/html"))
        {
            Assert.Equal(HttpStatusCode.NotFound, notAnEnvironment.StatusCode);
            Assert.Equal("text/html", notAnEnvironment.Content.Headers.ContentType?.MediaType);
        }

        // The platform host still reaches the Api through the same proxy.
        using var http = new HttpClient { BaseAddress = platform.ProxyAddress };
        using var health = await http.GetAsync(new Uri("/api/me", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, health.StatusCode);
    }

    /// <summary>Jupyter starts after sshd; poll through the edge until it answers, and say why if the environment failed.</summary>
    private async Task<string> WaitForJupyterAsync(ApiClient owner, string id, string bearer)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            using var response = await _edge.GetAsync(id, "/jupyter/api/status", bearer);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return body;
            }
            if (body.Contains("is failed", StringComparison.Ordinal) || watch.Elapsed > JupyterStartTimeout)
            {
                var environment = await ApiClient.ReadAsync(await owner.GetAsync($"/api/environments/{id}"));
                Assert.Fail($"Jupyter on {id} never answered through the edge ({(int)response.StatusCode}: {body}); environment: {environment}");
            }
            await Task.Delay(100);
        }
    }

    private static IEnumerable<string> HeadersOf(HttpResponseMessage response) =>
        response.Headers.Concat(response.Content.Headers).Select(h => $"{h.Key}: {string.Join(", ", h.Value)}");

    private static async Task DeleteAsync(ApiClient client, string id)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await client.DeleteAsync($"/api/environments/{id}")).StatusCode);
        await WaitForDeletedAsync(client, id);
    }

}
