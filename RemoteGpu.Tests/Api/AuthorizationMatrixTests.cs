using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Api;

/// <summary>
/// Every identity endpoint against every kind of caller. An id in a URL never proves ownership:
/// another user's token, key or environment is 404, as if it did not exist.
/// </summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class AuthorizationMatrixTests(PlatformFixture platform)
{
    private const int Ok = 200, Created = 201, NoContent = 204, BadRequest = 400, Unauthorized = 401, Forbidden = 403, NotFound = 404;

    [Fact]
    public async Task NobodyReachesWhatTheyShouldNot()
    {
        var owner = await platform.CreateUserAsync();
        var other = await platform.CreateUserAsync();
        var auditor = await platform.CreateUserAsync("auditor");
        using var admin = await platform.AdminAsync();
        using var anonymous = platform.CreateApiClient();
        var victim = await platform.CreateUserAsync();
        var environmentId = await platform.CreateEnvironmentRowAsync(owner.Id);
        var ownerToken = (await ApiClient.ReadAsync(await owner.Client.PostAsync("/api/me/tokens", new { name = "owner" }))).GetProperty("id").GetString();
        var grantBody = new { user_name = victim.UserName, expires_at = DateTimeOffset.UtcNow.AddDays(1) };
        var newUser = () => new { user_name = PlatformFixture.UniqueName("m"), password = "Matrix-pass-1", role = "user" };

        // caller → expected status, for each request. (anonymous, owner, other user, auditor, admin)
        var cases = new (string Name, Func<ApiClient, Task<HttpResponseMessage>> Call, int[] Expected)[]
        {
            ("GET /api/me", c => c.GetAsync("/api/me"), [Unauthorized, Ok, Ok, Ok, Ok]),
            ("GET /api/me/tokens", c => c.GetAsync("/api/me/tokens"), [Unauthorized, Ok, Ok, Ok, Ok]),
            ("POST /api/me/tokens", c => c.PostAsync("/api/me/tokens", new { name = "m" }), [Unauthorized, Created, Created, Created, Created]),
            ("DELETE owner's token", c => c.DeleteAsync($"/api/me/tokens/{ownerToken}"), [Unauthorized, NotFound /* placeholder: owner handled below */, NotFound, NotFound, NotFound]),
            ("GET /api/users", c => c.GetAsync("/api/users"), [Unauthorized, Forbidden, Forbidden, Forbidden, Ok]),
            ("POST /api/users", c => c.PostAsync("/api/users", newUser()), [Unauthorized, Forbidden, Forbidden, Forbidden, Created]),
            ("POST /api/users/{id}/enable", c => c.PostAsync($"/api/users/{victim.Id}/enable"), [Unauthorized, Forbidden, Forbidden, Forbidden, Ok]),
            ("GET /api/audit", c => c.GetAsync("/api/audit?limit=1"), [Unauthorized, Forbidden, Forbidden, Ok, Ok]),
            ("GET grants", c => c.GetAsync($"/api/environments/{environmentId}/grants"), [Unauthorized, Ok, NotFound, NotFound, Ok]),
            ("POST grants", c => c.PostAsync($"/api/environments/{environmentId}/grants", grantBody), [Unauthorized, Created, NotFound, NotFound, Created]),
            ("DELETE grant", c => c.DeleteAsync($"/api/environments/{environmentId}/grants/{Guid.NewGuid()}"), [Unauthorized, NotFound, NotFound, NotFound, NotFound]),
            ("GET grants of unknown env", c => c.GetAsync("/api/environments/env-00000000/grants"), [Unauthorized, NotFound, NotFound, NotFound, NotFound]),
            ("POST /api/me/password (bad)", c => c.PostAsync("/api/me/password", new { }), [Unauthorized, BadRequest, BadRequest, BadRequest, BadRequest]),
        };

        var callers = new[] { ("anonymous", anonymous), ("owner", owner.Client), ("other", other.Client), ("auditor", auditor.Client), ("admin", admin) };
        var failures = new List<string>();
        foreach (var (name, call, expected) in cases)
        {
            for (var i = 0; i < callers.Length; i++)
            {
                if (name == "DELETE owner's token" && callers[i].Item1 == "owner")
                {
                    continue; // the owner may; checked after everyone else failed to.
                }
                using var response = await call(callers[i].Item2);
                if ((int)response.StatusCode != expected[i])
                {
                    failures.Add($"{name} as {callers[i].Item1}: expected {expected[i]}, got {(int)response.StatusCode}");
                }
            }
        }
        Assert.Equal(NoContent, (int)(await owner.Client.DeleteAsync($"/api/me/tokens/{ownerToken}")).StatusCode);
        Assert.Empty(failures);
    }
}
