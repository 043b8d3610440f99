using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using RemoteGpu.Tests.Infrastructure;
using static RemoteGpu.Tests.Environments.EnvironmentDriver;

namespace RemoteGpu.Tests.Proxy;

/// <summary>
/// What a user sees of the workspace's web services through the edge, in a real browser, on the real test image:
/// the classic notebook's file list at <c>/jupyter/tree</c> (Debian's nbclassic on Jupyter Server) and code-server's
/// workbench at <c>/code/</c>. The edge signs the user in to Jupyter (it presents the token) but not to code-server:
/// code-server asks for its own password, the one the create response showed once. A screenshot of every page is
/// kept in <c>TestResults/screenshots/</c>.
/// </summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class WorkspaceUiTests(PlatformFixture platform) : IAsyncLifetime
{
    /// <summary>code-server starts after sshd and Jupyter; its workbench loads VS Code and an extension host.</summary>
    private static readonly TimeSpan ServiceTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Jupyter, code-server and its extension host together need more than the suite's usual 512 MB.</summary>
    private const int MemoryMb = 2048;

    private const string NotebookName = "hello-remotegpu.ipynb";

    private readonly EdgeDriver _edge = new(platform);

    public Task InitializeAsync() => EnsureTestImageListedAsync(platform);

    public Task DisposeAsync()
    {
        _edge.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ABrowser_SignedIn_SeesTheClassicNotebooksFileList_AndCodeServersWorkbenchAfterItsOwnLogin()
    {
        var owner = await platform.CreateUserAsync();
        var bearer = await EdgeDriver.CreateTokenAsync(owner.Client);
        var created = await CreateAsync(owner.Client, memoryMb: MemoryMb);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;
        var codeServerPassword = created.GetProperty("access_info").GetProperty("code_server").GetProperty("password").GetString()!;
        try
        {
            await WaitForStatusAsync(owner.Client, id, "running");
            await _edge.WaitForAsync(id, "/jupyter/api/status", bearer, s => s == HttpStatusCode.OK, ServiceTimeout);
            // A notebook in /workspace, for both UIs to list.
            using (var put = await _edge.SendAsync(HttpMethod.Put, id, $"/jupyter/api/contents/{NotebookName}", bearer,
                content: new StringContent("""{"type":"notebook"}""", Encoding.UTF8, "application/json")))
            {
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            }

            var origin = _edge.OriginOf(id);
            using var browser = new HeadlessChromium();
            var driver = browser.Driver;

            // Jupyter: signed in on the platform host, back on the classic notebook's file list.
            var tree = $"{origin}/jupyter/tree";
            driver.Navigate().GoToUrl(tree);
            await browser.WaitAsync(() => driver.Url.StartsWith($"http://localhost:{platform.ProxyAddress.Port}/login?", StringComparison.Ordinal), "the sign-in page");
            driver.FindElement(By.Id("user_name")).SendKeys(owner.UserName);
            driver.FindElement(By.Id("password")).SendKeys(owner.Password);
            driver.FindElement(By.Id("sign_in")).Click();
            await browser.WaitAsync(() => driver.Url == tree && ItemNames(driver, "#notebook_list .list_item .item_name").Contains(NotebookName),
                $"the classic notebook's file list showing {NotebookName}", ServiceTimeout);
            browser.SaveScreenshot("workspace-ui-jupyter-tree");
            Assert.Equal("Home", driver.Title);
            Assert.True(driver.FindElement(By.Id("new-dropdown-button")).Displayed, "the notebook list has no New button");
            Assert.Contains("Running", driver.FindElement(By.Id("tabs")).Text, StringComparison.Ordinal);

            // code-server: its own login page, served whole through the edge (the page and its stylesheet)...
            driver.Navigate().GoToUrl($"{origin}/code/");
            await browser.WaitAsync(() => driver.Url.StartsWith($"{origin}/code/login", StringComparison.Ordinal)
                && driver.FindElements(By.CssSelector("form.login-form input.password")).Count == 1,
                "code-server's login page", ServiceTimeout);
            browser.SaveScreenshot("workspace-ui-code-server-login");
            Assert.Equal("code-server login", driver.Title);
            Assert.Equal("Welcome to code-server", driver.FindElement(By.CssSelector("h1.main")).Text);
            // Its stylesheet came through too (the form is a block without it).
            Assert.Equal("flex", driver.FindElement(By.CssSelector("form.login-form")).GetCssValue("display"));

            // ...then, with the password the create response showed, the workbench on /workspace, listing its files:
            // the workbench's WebSocket to code-server went through the edge.
            driver.FindElement(By.CssSelector("form.login-form input.password")).SendKeys(codeServerPassword);
            driver.FindElement(By.CssSelector("form.login-form input.submit")).Click();
            await browser.WaitAsync(() => driver.FindElements(By.CssSelector(".monaco-workbench")).Count == 1
                && ItemNames(driver, ".explorer-folders-view .explorer-item .label-name").Contains(NotebookName),
                $"code-server's workbench with {NotebookName} in its explorer", ServiceTimeout);
            browser.SaveScreenshot("workspace-ui-code-server-workbench");
            Assert.StartsWith($"{origin}/code/", driver.Url, StringComparison.Ordinal);
            Assert.Empty(driver.FindElements(By.CssSelector("form.login-form")));
            var cookie = driver.Manage().Cookies.GetCookieNamed("code-server-session");
            Assert.NotNull(cookie);
            Assert.DoesNotContain(codeServerPassword, cookie.Value, StringComparison.Ordinal);
        }
        finally
        {
            await DeleteAsync(owner, id);
        }
    }

    [Fact]
    public async Task CodeServerHealthz_ThroughTheEdge_AnswersAliveOnceCodeServerIsUsed()
    {
        var owner = await platform.CreateUserAsync();
        var bearer = await EdgeDriver.CreateTokenAsync(owner.Client);
        var id = (await CreateAsync(owner.Client)).GetProperty("environment").GetProperty("id").GetString()!;
        try
        {
            await WaitForStatusAsync(owner.Client, id, "running");
            Assert.StartsWith("http://127.0.0.1:", (await AccessRowAsync(platform, id)).CodeServerUpstream, StringComparison.Ordinal);

            // /healthz answers without code-server's password; it does not count as use ("expired" until something else came).
            await _edge.WaitForAsync(id, "/code/healthz", bearer, s => s == HttpStatusCode.OK, ServiceTimeout);
            // Any other request is use: code-server's own redirect to its login page, relative, so it stays under /code/.
            using (var root = await _edge.GetAsync(id, "/code/", bearer))
            {
                Assert.Equal(HttpStatusCode.Found, root.StatusCode);
                Assert.StartsWith("./login", root.Headers.Location?.OriginalString, StringComparison.Ordinal);
            }

            using var health = await _edge.GetAsync(id, "/code/healthz", bearer);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal(new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" }, health.Content.Headers.ContentType);
            using var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
            Assert.Equal("alive", body.RootElement.GetProperty("status").GetString());
            Assert.True(body.RootElement.GetProperty("lastHeartbeat").GetInt64() > 0);

            // The idle probes read the same heartbeat: code-server's use keeps the environment.
            await Poll.UntilAsync(async () =>
            {
                using var activity = await owner.Client.GetAsync($"/api/environments/{id}/activity");
                return (await ApiClient.ReadAsync(activity)).GetProperty("sources").EnumerateArray()
                    .Any(source => source.GetProperty("source").GetString() == "code_server");
            }, TimeSpan.FromMinutes(1), "code-server's heartbeat among the activity sources");
        }
        finally
        {
            await DeleteAsync(owner, id);
        }
    }

    private static List<string> ItemNames(ChromeDriver driver, string selector)
    {
        try
        {
            return [.. driver.FindElements(By.CssSelector(selector)).Select(e => e.Text.Trim())];
        }
        catch (StaleElementReferenceException)
        {
            return []; // the list re-rendered while it was read: asked again at the next poll
        }
    }

    private static async Task DeleteAsync(TestUser owner, string id)
    {
        using var deleted = await owner.Client.DeleteAsync($"/api/environments/{id}");
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        await WaitForDeletedAsync(owner.Client, id);
    }
}
