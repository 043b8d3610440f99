using System.Net.Http.Headers;
using System.Text.Json;

namespace RemoteGpu.Worker.Health;

/// <summary>
/// The health and idle probes' HTTP client to a workspace's services on their recorded upstreams. Its own client: the
/// services' default one retries (resilience handler), which would hide a failing probe. Bounded by the caller's token.
/// </summary>
internal sealed class WorkspaceHttp : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>GET <paramref name="path"/> on <paramref name="upstream"/>, with Jupyter's <c>Authorization: token</c> when given.</summary>
    public async Task<HttpResponseMessage> GetAsync(string upstream, string path, string? token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, upstream.TrimEnd('/') + path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("token", token);
        }
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>The JSON body of a 2xx answer; anything else is an <see cref="HttpRequestException"/>.</summary>
    public async Task<JsonDocument> GetJsonAsync(string upstream, string path, string? token, CancellationToken cancellationToken)
    {
        using var response = await GetAsync(upstream, path, token, cancellationToken);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
    }

    public void Dispose() => _http.Dispose();
}
