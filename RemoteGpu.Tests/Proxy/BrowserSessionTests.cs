using System.Net;
using Microsoft.EntityFrameworkCore;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Proxy;

/// <summary>
/// The session in a real browser (headless Chromium through chromedriver, both from Debian): an anonymous
/// visit to <c>env-&lt;id&gt;.localhost</c> goes through the sign-in page on <c>localhost</c> and the
/// hand-off, and ends on the environment with the workspace's answer — where a cookie on a dot-less
/// domain could never have gone.
/// </summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class BrowserSessionTests(PlatformFixture platform) : IAsyncLifetime
{
    private readonly EdgeDriver _edge = new(platform);
    private EchoUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await EchoUpstream.StartAsync();

    public async Task DisposeAsync()
    {
        _edge.Dispose();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task ABrowser_SignsInOnThePlatformHost_ThenUsesItsEnvironment_ButNotAnotherUsers()
    {
        var owner = await platform.CreateUserAsync();
        var id = await _upstream.CreateEnvironmentAsync(platform, _edge, owner, await EdgeDriver.CreateTokenAsync(owner.Client));
        var other = await platform.CreateUserAsync();
        var othersId = await _upstream.CreateEnvironmentAsync(platform, _edge, other, await EdgeDriver.CreateTokenAsync(other.Client));
        var port = platform.ProxyAddress.Port;
        var target = $"http://{id}.localhost:{port}/jupyter/api/status";
        using var browser = new HeadlessChromium();
        var driver = browser.Driver;

        // Anonymous: sent to the sign-in page on the platform host.
        driver.Navigate().GoToUrl(target);
        await WaitAsync(() => driver.Url.StartsWith($"http://localhost:{port}/login?return_url=", StringComparison.Ordinal), "the sign-in page", driver);
        Assert.StartsWith("Sign in", driver.Title, StringComparison.Ordinal);

        // Signed in there: back on the environment, with the workspace's answer.
        driver.FindElement(By.Id("user_name")).SendKeys(owner.UserName);
        driver.FindElement(By.Id("password")).SendKeys(owner.Password);
        driver.FindElement(By.Id("sign_in")).Click();
        await WaitAsync(() => driver.Url == target && driver.PageSource.Contains(_upstream.Marker, StringComparison.Ordinal),
            "the environment's answer after signing in", driver);

        var cookie = driver.Manage().Cookies.GetCookieNamed("remotegpu_env");
        Assert.NotNull(cookie);
        Assert.True(cookie.IsHttpOnly);
        Assert.Equal($"{id}.localhost", cookie.Domain);
        Assert.Null(driver.Manage().Cookies.GetCookieNamed("remotegpu_session"));
        Assert.DoesNotContain(_upstream.CookieHeaders, header => header.Contains("remotegpu_", StringComparison.Ordinal));

        // Again, later: straight in, no sign-in and no new hand-off.
        var again = target + "?again=1";
        driver.Navigate().GoToUrl(again);
        await WaitAsync(() => driver.Url == again && driver.PageSource.Contains("again=1", StringComparison.Ordinal), "the environment again", driver);
        await using (var db = platform.CreateDbContext())
        {
            Assert.Equal(1, await db.AuditEvents.CountAsync(a => a.Action == "auth.environment_session" && a.ActorId == owner.Id && a.Success));
        }

        // Another user's environment: the hand-off refuses, in the browser, as if there were none.
        driver.Navigate().GoToUrl($"http://{othersId}.localhost:{port}/jupyter/api/status");
        await WaitAsync(() => driver.Title.StartsWith("404", StringComparison.Ordinal), "404 for another user's environment", driver);
        Assert.StartsWith($"http://localhost:{port}/api/auth/environment-session?environment={othersId}", driver.Url, StringComparison.Ordinal);
        Assert.Contains(WebUtility.HtmlEncode($"There is no environment {othersId} that you may open."), driver.PageSource, StringComparison.Ordinal);
        Assert.DoesNotContain(_upstream.Marker, driver.PageSource, StringComparison.Ordinal);
        Assert.Null(driver.Manage().Cookies.GetCookieNamed("remotegpu_env"));
    }

    private static Task WaitAsync(Func<bool> condition, string what, ChromeDriver driver) =>
        Poll.UntilAsync(condition, HeadlessChromium.PageTimeout, $"{what} (the browser is at {driver.Url}: {driver.Title})");
}
