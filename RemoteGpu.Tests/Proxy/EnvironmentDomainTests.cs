using System.Net;
using RemoteGpu.Tests.Infrastructure;
using static RemoteGpu.Tests.Environments.EnvironmentDriver;

namespace RemoteGpu.Tests.Proxy;

/// <summary>
/// Environments on a domain of their own (<c>Platform:EnvironmentDomain</c>, docs/security.md's production
/// recommendation), on a platform of this test's own: <c>env-&lt;id&gt;.envs.localhost</c> beside <c>localhost</c>.
/// </summary>
[Trait("Category", "E2E")]
public sealed class EnvironmentDomainTests
{
    [Fact]
    public async Task EnvironmentsLiveOnTheirOwnDomain_TheHandOffCrossesToIt_AndTheBaseDomainServesThemNoMore()
    {
        var platform = new PlatformFixture(environmentDomain: "envs.localhost");
        await platform.InitializeAsync();
        try
        {
            await EnsureTestImageListedAsync(platform);
            var owner = await platform.CreateUserAsync();
            var created = await CreateAsync(owner.Client);
            var id = created.GetProperty("environment").GetProperty("id").GetString()!;
            var port = platform.ProxyAddress.Port;
            Assert.Equal($"http://{id}.envs.localhost:{port}/jupyter/", created.GetProperty("access_info").GetProperty("jupyter").GetProperty("url").GetString());
            await WaitForStatusAsync(owner.Client, id, "running");

            // Signed in on the platform host, handed off to the environment's host on the other domain.
            using var browser = new HandOffClient(platform);
            await browser.SignInAsync(owner.UserName, owner.Password);
            await browser.HandOffAsync(id);
            await Poll.UntilAsync(async () =>
            {
                using var status = await browser.GetAsync(browser.Environment(id, "/jupyter/api/status"), accept: "application/json");
                return status.StatusCode == HttpStatusCode.OK;
            }, TimeSpan.FromMinutes(1), "Jupyter through the edge on the environment domain");
            Assert.Equal(["remotegpu_env"], browser.Cookies.GetCookies(browser.Environment(id, "/")).Select(cookie => cookie.Name));

            // Under the base domain it is no environment host at all.
            using var old = await browser.GetAsync(new Uri($"http://{id}.localhost:{port}/jupyter/api/status"), accept: "application/json");
            Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);

            using var deleted = await owner.Client.DeleteAsync($"/api/environments/{id}");
            Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
            await WaitForDeletedAsync(owner.Client, id);
        }
        finally
        {
            await platform.DisposeAsync();
        }
    }
}
