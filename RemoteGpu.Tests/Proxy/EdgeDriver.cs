using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Proxy;

/// <summary>
/// Talking to environments through the edge by host name: every request goes to the proxy's loopback
/// port with <c>Host: env-&lt;id&gt;.localhost:&lt;port&gt;</c>, as a browser resolving <c>*.localhost</c> would.
/// </summary>
internal sealed class EdgeDriver : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _proxy;

    public EdgeDriver(PlatformFixture platform)
    {
        _proxy = platform.ProxyAddress;
        _http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, UseProxy = false })
        {
            BaseAddress = _proxy,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public string HostOf(string environmentId) => $"{environmentId}.localhost:{_proxy.Port}";

    public string OriginOf(string environmentId) => $"http://{HostOf(environmentId)}";

    /// <summary>
    /// A request to an environment host, from its own pages (<c>Origin</c>) unless <paramref name="origin"/> says
    /// otherwise (empty: none).
    /// </summary>
    public Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string environmentId, string path, string? bearerToken = null, string? accept = null, HttpContent? content = null,
        string? cookie = null, string? origin = null)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        request.Headers.Host = HostOf(environmentId);
        origin ??= OriginOf(environmentId);
        if (origin.Length > 0)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin);
        }
        request.Headers.UserAgent.ParseAdd("RemoteGpu.Tests.Edge/1.0");
        if (bearerToken is not null)
        {
            request.Headers.Authorization = new("Bearer", bearerToken);
        }
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }
        if (cookie is not null)
        {
            request.Headers.TryAddWithoutValidation("Cookie", cookie);
        }
        return _http.SendAsync(request);
    }

    /// <summary>A GET whose body is read as it comes (a download), rather than buffered by the client.</summary>
    public Task<HttpResponseMessage> SendStreamingAsync(string environmentId, string path, string bearerToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Host = HostOf(environmentId);
        request.Headers.Authorization = new("Bearer", bearerToken);
        return _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    public Task<HttpResponseMessage> GetAsync(string environmentId, string path, string? bearerToken = null, string? accept = null, string? cookie = null) =>
        SendAsync(HttpMethod.Get, environmentId, path, bearerToken, accept, cookie: cookie);

    /// <summary>Polls until <paramref name="done"/> holds for the edge's answer to GET <paramref name="path"/>.</summary>
    public async Task<(HttpStatusCode Status, string Body, TimeSpan SentAt)> WaitForAsync(
        string environmentId, string path, string? bearerToken, Func<HttpStatusCode, bool> done, TimeSpan timeout, Func<string, bool>? bodyDone = null,
        string? cookie = null, string? accept = null)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            // When the request that saw the change was sent: the answer itself may take a while (an upstream still starting).
            var sentAt = watch.Elapsed;
            using var response = await GetAsync(environmentId, path, bearerToken, accept, cookie);
            var body = await response.Content.ReadAsStringAsync();
            if (done(response.StatusCode) && (bodyDone is null || bodyDone(body)))
            {
                return (response.StatusCode, body, sentAt);
            }
            Assert.True(watch.Elapsed < timeout, $"GET {path} on {environmentId}: still {(int)response.StatusCode} after {timeout}: {body}");
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// A WebSocket to the edge by host name, from the environment's own pages unless <paramref name="origin"/> says
    /// otherwise (empty: none). The socket itself connects to the proxy's loopback address, so this does not depend
    /// on how the machine resolves <c>*.localhost</c>.
    /// </summary>
    public async Task<ClientWebSocket> ConnectWebSocketAsync(
        string environmentId, string path, string? bearerToken, CancellationToken cancellationToken, string? cookie = null, string? origin = null)
    {
        var socket = WebSocketFor(environmentId, bearerToken, cookie, origin);
        try
        {
            await ConnectAsync(socket, environmentId, path, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>What the edge answers a WebSocket upgrade with: 101 when it went through (the socket is closed again).</summary>
    public async Task<HttpStatusCode> WebSocketUpgradeAsync(
        string environmentId, string path, string? bearerToken, CancellationToken cancellationToken, string? cookie = null, string? origin = null)
    {
        using var socket = WebSocketFor(environmentId, bearerToken, cookie, origin);
        try
        {
            await ConnectAsync(socket, environmentId, path, cancellationToken);
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cancellationToken);
        return HttpStatusCode.SwitchingProtocols;
    }

    private ClientWebSocket WebSocketFor(string environmentId, string? bearerToken, string? cookie, string? origin)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (bearerToken is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + bearerToken);
        }
        if (cookie is not null)
        {
            socket.Options.SetRequestHeader("Cookie", cookie);
        }
        origin ??= OriginOf(environmentId);
        if (origin.Length > 0)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }
        return socket;
    }

    private async Task ConnectAsync(ClientWebSocket socket, string environmentId, string path, CancellationToken cancellationToken)
    {
        var port = _proxy.Port;
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (_, ct) =>
            {
                var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await tcp.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
                return new NetworkStream(tcp, ownsSocket: true);
            },
        });
        await socket.ConnectAsync(new Uri($"ws://{HostOf(environmentId)}{path}"), invoker, cancellationToken);
    }

    /// <summary>Sends <paramref name="code"/> to the kernel to run and returns at once, with the request's message id.</summary>
    public static async Task<string> StartInKernelAsync(ClientWebSocket socket, string code, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var msgId = Guid.NewGuid().ToString("N");
        await SendJsonAsync(socket, new Dictionary<string, object>
        {
            ["header"] = new Dictionary<string, object>
            {
                ["msg_id"] = msgId,
                ["username"] = "edge-test",
                ["session"] = Guid.NewGuid().ToString("N"),
                ["msg_type"] = "execute_request",
                ["version"] = "5.3",
                ["date"] = DateTimeOffset.UtcNow.ToString("O"),
            },
            ["parent_header"] = new Dictionary<string, object>(),
            ["metadata"] = new Dictionary<string, object>(),
            ["content"] = new Dictionary<string, object>
            {
                ["code"] = code,
                ["silent"] = false,
                ["store_history"] = false,
                ["user_expressions"] = new Dictionary<string, object>(),
                ["allow_stdin"] = false,
                ["stop_on_error"] = true,
            },
            ["channel"] = "shell",
            ["buffers"] = Array.Empty<object>(),
        }, cancellationToken);
        return msgId;
    }

    /// <summary>
    /// Runs <paramref name="code"/> in a kernel over its open channels WebSocket, as JupyterLab does, and returns what it
    /// printed; <paramref name="observe"/> sees every message that came back.
    /// </summary>
    public static async Task<string> RunInKernelAsync(ClientWebSocket socket, string code, CancellationToken cancellationToken, Action<string>? observe = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var msgId = await StartInKernelAsync(socket, code, cancellationToken);

        // Output arrives as stream messages; the kernel going idle after this request ends it.
        var printed = new StringBuilder();
        while (true)
        {
            var message = await ReceiveJsonAsync(socket, cancellationToken);
            observe?.Invoke(message.GetRawText());
            if (!message.TryGetProperty("parent_header", out var parent) || !parent.TryGetProperty("msg_id", out var parentId) || parentId.GetString() != msgId)
            {
                continue;
            }
            switch (message.GetProperty("msg_type").GetString())
            {
                case "stream":
                    printed.Append(message.GetProperty("content").GetProperty("text").GetString());
                    break;
                case "status" when message.GetProperty("content").GetProperty("execution_state").GetString() == "idle":
                    return printed.ToString();
            }
        }
    }

    public static async Task SendJsonAsync(ClientWebSocket socket, object message, CancellationToken cancellationToken) =>
        await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    public static async Task<JsonElement> ReceiveJsonAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, cancellationToken);
            Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return JsonDocument.Parse(Encoding.UTF8.GetString(message.ToArray())).RootElement.Clone();
    }

    /// <summary>A personal API token for the user behind <paramref name="client"/>, from the Api.</summary>
    public static async Task<string> CreateTokenAsync(ApiClient client)
    {
        using var response = await client.PostAsync("/api/me/tokens", new { name = "edge-" + Guid.NewGuid().ToString("N")[..8] });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await ApiClient.ReadAsync(response)).GetProperty("token").GetString()!;
    }

    public void Dispose() => _http.Dispose();
}
