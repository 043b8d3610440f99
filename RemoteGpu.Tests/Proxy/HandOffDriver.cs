using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using RemoteGpu.Core.Environments;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Proxy;

/// <summary>
/// A browser without a browser, for the hand-off to environment hosts: one cookie jar, every host name
/// (<c>localhost</c>, <c>env-&lt;id&gt;.localhost</c>) connected to loopback as Chromium would, and
/// redirects followed by hand so that each hop can be checked.
/// </summary>
internal sealed class HandOffClient : IDisposable
{
    public const string BrowserAccept = "text/html,application/xhtml+xml";

    private static int _nextAddress;
    private readonly HttpClient _http;
    private readonly int _apiPort;
    private readonly string _environmentDomain;

    public HandOffClient(PlatformFixture platform)
    {
        ProxyPort = platform.ProxyAddress.Port;
        _apiPort = platform.ApiAddress.Port;
        _environmentDomain = platform.EnvironmentDomain;
        Cookies = new CookieContainer();
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = true,
            CookieContainer = Cookies,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("RemoteGpu.Tests.HandOff/1.0");
    }

    public int ProxyPort { get; }

    public CookieContainer Cookies { get; }

    /// <summary>The platform host through the edge.</summary>
    public Uri Platform(string pathAndQuery) => new($"http://localhost:{ProxyPort}{pathAndQuery}");

    /// <summary>An environment host through the edge.</summary>
    public Uri Environment(string environmentId, string pathAndQuery) => new($"http://{environmentId}.{_environmentDomain}:{ProxyPort}{pathAndQuery}");

    public Task<HttpResponseMessage> GetAsync(Uri url, string accept = BrowserAccept, string? cookieHeader = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        if (cookieHeader is not null)
        {
            request.Headers.TryAddWithoutValidation("Cookie", cookieHeader);
        }
        return _http.SendAsync(request);
    }

    /// <summary>A POST without a body, as a page's script would send it (no Origin: same-origin fetches may omit it).</summary>
    public Task<HttpResponseMessage> PostAsync(Uri url, string accept = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        return _http.SendAsync(request);
    }

    /// <summary>The platform cookie in the jar, as a replayable <c>Cookie</c> header; null when there is none.</summary>
    public string? PlatformCookieHeader() =>
        Cookies.GetCookies(Platform("/"))["remotegpu_session"]?.Value is { } value ? "remotegpu_session=" + value : null;

    /// <summary>
    /// Signs in straight at the Api (under a client address of its own, so that the edge's shared loopback
    /// address keeps its login budget): the cookie lands on <c>localhost</c>, which every port shares.
    /// </summary>
    public async Task SignInAsync(string userName, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"http://localhost:{_apiPort}/api/auth/login"))
        {
            Content = JsonContent.Create(new { user_name = userName, password }, options: ApiClient.Json),
        };
        var n = Interlocked.Increment(ref _nextAddress);
        request.Headers.Add("X-Forwarded-For", $"198.19.{n / 250 % 250}.{n % 250 + 1}");
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>The platform host's hand-off for <paramref name="environmentId"/>: the redeem URL on the environment host (the caller is signed in).</summary>
    public async Task<Uri> RequestTicketAsync(string environmentId, string returnUrl = "/jupyter/")
    {
        using var response = await GetAsync(Platform(
            $"/api/auth/environment-session?environment={environmentId}&return_url={Uri.EscapeDataString(returnUrl)}"));
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var redeem = response.Headers.Location!;
        Assert.Equal(Environment(environmentId, "/.remotegpu/session").GetLeftPart(UriPartial.Path), redeem.GetLeftPart(UriPartial.Path));
        return redeem;
    }

    /// <summary>The whole hand-off for a signed-in caller, ending with the environment cookie in the jar.</summary>
    public async Task<string> HandOffAsync(string environmentId)
    {
        using var redeemed = await GetAsync(await RequestTicketAsync(environmentId));
        Assert.Equal(HttpStatusCode.Redirect, redeemed.StatusCode);
        return EnvironmentCookie(environmentId) ?? throw new InvalidOperationException("The edge set no environment cookie.");
    }

    public string? EnvironmentCookie(string environmentId) =>
        Cookies.GetCookies(Environment(environmentId, "/"))["remotegpu_env"]?.Value;

    public static string Ticket(Uri redeem) => QueryHelpers.ParseQuery(redeem.Query)["ticket"].ToString();

    public static string ReturnUrl(Uri redeem) => QueryHelpers.ParseQuery(redeem.Query)["return_url"].ToString();

    /// <summary>The redeem URL with another return_url.</summary>
    public static Uri WithReturnUrl(Uri redeem, string returnUrl) =>
        new(redeem.GetLeftPart(UriPartial.Path) + $"?ticket={Ticket(redeem)}&return_url={Uri.EscapeDataString(returnUrl)}");

    public void Dispose() => _http.Dispose();
}

/// <summary>
/// A stand-in for Jupyter on loopback: answers every request with JSON naming itself, the path and the
/// names of the cookies it was sent, and remembers every Cookie header it saw. Each <c>set-cookie</c> query
/// value comes back as a <c>Set-Cookie</c> header, as a hostile workspace would send it.
/// </summary>
internal sealed class EchoUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _cookieHeaders = new();

    private EchoUpstream(int port)
    {
        Address = new Uri($"http://127.0.0.1:{port}");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(Address.ToString());
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(async context =>
        {
            var cookie = context.Request.Headers.Cookie.ToString();
            _cookieHeaders.Enqueue(cookie);
            context.Response.Headers.SetCookie = context.Request.Query["set-cookie"];
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new
            {
                marker = Marker,
                path = context.Request.Path.Value + context.Request.QueryString.Value,
                cookie_names = context.Request.Cookies.Keys.Order().ToArray(),
            }));
        });
    }

    /// <summary>Printed in every answer: proof that a page came from this upstream.</summary>
    public string Marker { get; } = "upstream-" + Guid.NewGuid().ToString("N")[..12];

    public Uri Address { get; }

    public IReadOnlyCollection<string> CookieHeaders => _cookieHeaders;

    public static async Task<EchoUpstream> StartAsync()
    {
        var upstream = new EchoUpstream(Ports.Free());
        await upstream._app.StartAsync();
        return upstream;
    }

    /// <summary>
    /// A running environment row of <paramref name="owner"/> whose Jupyter is this upstream, once the edge
    /// routes to it (checked with the owner's bearer token).
    /// </summary>
    public async Task<string> CreateEnvironmentAsync(PlatformFixture platform, EdgeDriver edge, TestUser owner, string bearer)
    {
        var id = await platform.CreateEnvironmentRowAsync(owner.Id);
        await using (var db = platform.CreateDbContext())
        {
            var now = DateTimeOffset.UtcNow;
            db.AccessInfos.Add(new AccessInfo
            {
                EnvironmentId = id,
                SshHost = "127.0.0.1",
                SshUsername = "remotegpu",
                SshPasswordHash = "$2b$12$" + new string('x', 53),
                JupyterUpstream = Address.ToString().TrimEnd('/'),
                CredentialsVersion = 1,
                AppliedCredentialsVersion = 1,
                CreatedAt = now,
                UpdatedAt = now,
            });
            await db.SaveChangesAsync();
        }
        await edge.WaitForAsync(id, "/jupyter/api/status", bearer, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(10),
            body => body.Contains(Marker, StringComparison.Ordinal));
        return id;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
