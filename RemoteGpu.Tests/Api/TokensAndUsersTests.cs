using System.Net;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Api;

[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class TokensAndUsersTests(PlatformFixture platform)
{
    [Fact]
    public async Task ATokenIsShownOnce_WorksAsBearer_AndStopsWhenRevoked()
    {
        var user = await platform.CreateUserAsync();
        using var created = await user.Client.PostAsync("/api/me/tokens", new { name = "ci" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await ApiClient.ReadAsync(created);
        var token = body.GetProperty("token").GetString()!;
        var id = body.GetProperty("id").GetString()!;
        Assert.Matches("^rgpu_[0-9a-f]{40}$", token);

        var list = await (await user.Client.GetAsync("/api/me/tokens")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(token, list, StringComparison.Ordinal);
        Assert.Contains(token[..11], list, StringComparison.Ordinal);

        using var bearer = platform.CreateApiClient(token);
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync("/api/me")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.DeleteAsync($"/api/me/tokens/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await bearer.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await user.Client.DeleteAsync($"/api/me/tokens/{id}")).StatusCode);
    }

    [Fact]
    public async Task AnotherUsersToken_CannotBeRevoked()
    {
        var owner = await platform.CreateUserAsync();
        var other = await platform.CreateUserAsync();
        var id = (await ApiClient.ReadAsync(await owner.Client.PostAsync("/api/me/tokens", new { name = "mine" }))).GetProperty("id").GetString();

        Assert.Equal(HttpStatusCode.NotFound, (await other.Client.DeleteAsync($"/api/me/tokens/{id}")).StatusCode);
    }

    [Theory]
    [InlineData("", "name")]
    [InlineData("this-name-is-far-too-long-for-a-token-name-because-it-goes-on-and-on", "name")]
    public async Task CreateToken_WithABadName_Is400NamingTheField(string name, string field)
    {
        var user = await platform.CreateUserAsync();

        using var response = await user.Client.PostAsync("/api/me/tokens", new { name });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await ApiClient.ReadAsync(response)).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task CreateToken_ExpiringInThePast_Is400()
    {
        var user = await platform.CreateUserAsync();

        using var response = await user.Client.PostAsync("/api/me/tokens", new { name = "old", expires_at = DateTimeOffset.UtcNow.AddMinutes(-1) });

        Assert.True((await ApiClient.ReadAsync(response)).GetProperty("errors").TryGetProperty("expires_at", out _));
    }

    [Fact]
    public async Task AdminsCreateListDisableAndEnableUsers()
    {
        using var admin = await platform.AdminAsync();
        var name = PlatformFixture.UniqueName("carol");

        using var created = await admin.PostAsync("/api/users", new { user_name = name, password = "Carol-pass-123", role = "auditor" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await ApiClient.ReadAsync(created)).GetProperty("id").GetString();

        var users = await ApiClient.ReadAsync(await admin.GetAsync("/api/users"));
        var carol = users.EnumerateArray().Single(u => u.GetProperty("user_name").GetString() == name);
        Assert.Equal("auditor", carol.GetProperty("role").GetString());
        Assert.False(carol.GetProperty("disabled").GetBoolean());
        Assert.False(carol.TryGetProperty("password_hash", out _));

        Assert.True((await ApiClient.ReadAsync(await admin.PostAsync($"/api/users/{id}/disable"))).GetProperty("disabled").GetBoolean());
        Assert.False((await ApiClient.ReadAsync(await admin.PostAsync($"/api/users/{id}/enable"))).GetProperty("disabled").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/users/{Guid.NewGuid()}/disable")).StatusCode);
    }

    [Fact]
    public async Task CreateUser_WithATakenName_Is409()
    {
        var existing = await platform.CreateUserAsync();
        using var admin = await platform.AdminAsync();

        using var response = await admin.PostAsync("/api/users", new { user_name = existing.UserName, password = "Another-pass-1", role = "user" });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }

    [Theory]
    [InlineData("Bad Name", "Good-password-1", "user", "user_name")]
    [InlineData("x", "Good-password-1", "user", "user_name")]
    [InlineData("dave", "short", "user", "password")]
    [InlineData("dave", "Good-password-1", "superuser", "role")]
    [InlineData("dave", null, "user", "password")]
    [InlineData("dave", "Good-password-1", null, "role")]
    public async Task CreateUser_WithBadInput_Is400NamingTheField(string? userName, string? password, string? role, string field)
    {
        using var admin = await platform.AdminAsync();

        using var response = await admin.PostAsync("/api/users", new { user_name = userName, password, role });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await ApiClient.ReadAsync(response)).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task CreateUser_WithAPasswordOver72Bytes_Is400()
    {
        using var admin = await platform.AdminAsync();

        using var response = await admin.PostAsync("/api/users", new { user_name = PlatformFixture.UniqueName("long"), password = new string('é', 40), role = "user" });

        Assert.True((await ApiClient.ReadAsync(response)).GetProperty("errors").TryGetProperty("password", out _));
    }

    [Fact]
    public async Task AnAdminCannotDisableThemselves()
    {
        using var admin = await platform.AdminAsync();
        var me = await ApiClient.ReadAsync(await admin.GetAsync("/api/me"));

        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync($"/api/users/{me.GetProperty("id").GetString()}/disable")).StatusCode);
    }
}
