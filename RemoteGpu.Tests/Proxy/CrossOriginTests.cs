using Microsoft.AspNetCore.Http;
using RemoteGpu.Proxy.Edge;

namespace RemoteGpu.Tests.Proxy;

/// <summary>
/// Which cookie-authenticated requests the edge refuses as cross-origin: a WebSocket upgrade or a request that
/// changes something, unless it comes from the environment host's own origin.
/// </summary>
public sealed class CrossOriginTests
{
    private const string Host = "env-0123abcd.gpu.example.com";

    [Theory]
    [InlineData("GET", null, null, null)]
    [InlineData("HEAD", "http://evil.example", null, null)]
    [InlineData("OPTIONS", "http://evil.example", null, null)]
    [InlineData("POST", "https://" + Host, null, null)]
    [InlineData("POST", "https://" + Host + ":443", null, null)]
    [InlineData("POST", "HTTPS://ENV-0123ABCD.GPU.EXAMPLE.COM", null, null)]
    [InlineData("DELETE", null, "same-origin", null)]
    [InlineData("GET", "https://" + Host, null, "websocket")]
    public void FromTheEnvironmentsOwnPages_OrSafe_IsLetThrough(string method, string? origin, string? fetchSite, string? upgrade) =>
        Assert.Null(EnvironmentEdge.CrossOrigin(Request(method, origin, fetchSite, upgrade)));

    [Theory]
    [InlineData("POST", "http://evil.example", null, null)]
    [InlineData("PUT", "https://env-ffffffff.gpu.example.com", null, null)] // another tenant's environment: the same site
    [InlineData("PATCH", "https://gpu.example.com", null, null)]            // the platform itself
    [InlineData("POST", "http://" + Host, null, null)]                       // another scheme
    [InlineData("POST", "https://" + Host + ":8443", null, null)]           // another port
    [InlineData("POST", "null", null, null)]                                 // a sandboxed frame or a file
    [InlineData("DELETE", null, "same-site", null)]
    [InlineData("POST", null, null, null)]                                   // a browser says where from; saying nothing is refused
    [InlineData("GET", "http://evil.example", null, "websocket")]
    [InlineData("GET", null, "cross-site", "WebSocket")]
    public void FromAnywhereElse_IsRefused(string method, string? origin, string? fetchSite, string? upgrade) =>
        Assert.NotNull(EnvironmentEdge.CrossOrigin(Request(method, origin, fetchSite, upgrade)));

    private static HttpRequest Request(string method, string? origin, string? fetchSite, string? upgrade)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = method;
        request.Scheme = "https";
        request.Host = new HostString(Host);
        if (origin is not null)
        {
            request.Headers.Origin = origin;
        }
        if (fetchSite is not null)
        {
            request.Headers["Sec-Fetch-Site"] = fetchSite;
        }
        if (upgrade is not null)
        {
            request.Headers.Upgrade = upgrade;
            request.Headers.Connection = "Upgrade";
        }
        return request;
    }
}
