using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace RemoteGpu.Tests.Infrastructure;

/// <summary>
/// One browser-like caller of the Api: its own cookie jar and its own client address (sent as
/// X-Forwarded-For, which the Api trusts from loopback), so rate limits and lockouts of one test
/// never touch another.
/// </summary>
internal sealed class ApiClient : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static int _nextAddress;
    private readonly HttpClient _http;

    public ApiClient(Uri baseAddress, string? bearerToken = null)
    {
        Cookies = new CookieContainer();
        _http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, UseCookies = true, AllowAutoRedirect = false })
        {
            BaseAddress = baseAddress,
        };
        var n = Interlocked.Increment(ref _nextAddress);
        Address = $"198.18.{n / 250 % 250}.{n % 250 + 1}";
        _http.DefaultRequestHeaders.Add("X-Forwarded-For", Address);
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("RemoteGpu.Tests/1.0");
        if (bearerToken is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new("Bearer", bearerToken);
        }
    }

    public CookieContainer Cookies { get; }

    /// <summary>The client address the Api sees for this caller.</summary>
    public string Address { get; }

    public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(new Uri(path, UriKind.Relative));

    public Task<HttpResponseMessage> PostAsync(string path, object? body = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = body is null ? null : JsonContent.Create(body, options: Json),
        };
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.Add(name, value);
        }
        return _http.SendAsync(request);
    }

    public Task<HttpResponseMessage> PatchAsync(string path, object body) =>
        _http.PatchAsync(new Uri(path, UriKind.Relative), JsonContent.Create(body, options: Json));

    public Task<HttpResponseMessage> PostRawAsync(string path, string body) =>
        _http.PostAsync(new Uri(path, UriKind.Relative), new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

    public Task<HttpResponseMessage> DeleteAsync(string path, object? body = null) =>
        _http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, new Uri(path, UriKind.Relative))
        {
            Content = body is null ? null : JsonContent.Create(body, options: Json),
        });

    public Task<HttpResponseMessage> LoginAsync(string userName, string password, string? totpCode = null) =>
        PostAsync("/api/auth/login", new { user_name = userName, password, totp_code = totpCode });

    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return string.IsNullOrEmpty(text) ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public void Dispose() => _http.Dispose();
}
