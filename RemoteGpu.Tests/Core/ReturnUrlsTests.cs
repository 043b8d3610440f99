using RemoteGpu.Core.Identity;
using RemoteGpu.Core.Options;

namespace RemoteGpu.Tests.Core;

/// <summary>Where a sign-in may send the browser: local paths, and the platform's hosts on the edge's own scheme and port.</summary>
public sealed class ReturnUrlsTests
{
    private static readonly PlatformOptions Platform = new() { BaseDomain = "gpu.example.com", EdgeUrl = "https://gpu.example.com" };

    [Theory]
    [InlineData("/")]
    [InlineData("/jupyter/lab?x=1")]
    [InlineData("https://gpu.example.com/environments")]
    [InlineData("https://gpu.example.com:443/")]
    [InlineData("https://env-0123abcd.gpu.example.com/jupyter/")]
    public void ThePlatformsOwnPlaces_AreKept(string returnUrl) => Assert.NotNull(ReturnUrls.Safe(returnUrl, Platform));

    [Theory]
    [InlineData("http://gpu.example.com/")]                       // the platform's host, but not its scheme
    [InlineData("https://gpu.example.com:8443/")]                  // nor its port: another service there
    [InlineData("https://env-0123abcd.gpu.example.com:9999/x")]
    [InlineData("https://evil.example/")]
    [InlineData("https://gpu.example.com.evil.example/")]
    [InlineData("https://user@gpu.example.com/")]
    [InlineData("https://env-01234.gpu.example.com/")]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example")]
    [InlineData("/\t/evil.example")]
    [InlineData("javascript:alert(1)")]
    [InlineData("")]
    public void AnythingElse_IsIgnored(string returnUrl) => Assert.Null(ReturnUrls.Safe(returnUrl, Platform));

    [Fact]
    public void WithoutAnEdgeUrl_TheEdgeIsHttpOnTheBaseDomain()
    {
        var platform = new PlatformOptions { BaseDomain = "localhost" };

        Assert.NotNull(ReturnUrls.Safe("http://localhost/x", platform));
        Assert.Null(ReturnUrls.Safe("http://localhost:5080/x", platform));
    }

    [Fact]
    public void WithAnEnvironmentDomain_EnvironmentsAreThereAndNoLongerUnderTheBaseDomain()
    {
        var platform = Platform with { EnvironmentDomain = "gpu-envs.example.net" };

        Assert.Equal("https://env-0123abcd.gpu-envs.example.net/jupyter/", platform.EnvironmentUrl("env-0123abcd", "/jupyter/"));
        Assert.NotNull(ReturnUrls.Safe("https://env-0123abcd.gpu-envs.example.net/jupyter/", platform));
        Assert.NotNull(ReturnUrls.Safe("https://gpu.example.com/", platform));
        Assert.Null(ReturnUrls.Safe("https://env-0123abcd.gpu.example.com/jupyter/", platform));
        Assert.Null(ReturnUrls.Safe("https://gpu-envs.example.net/", platform));
        Assert.Equal("https://env-0123abcd.gpu.example.com/jupyter/", (Platform with { EnvironmentDomain = "" }).EnvironmentUrl("env-0123abcd", "/jupyter/"));
    }
}
