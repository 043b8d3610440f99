using System.Net;
using Microsoft.EntityFrameworkCore;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Api;

[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class GrantsTests(PlatformFixture platform)
{
    [Fact]
    public async Task AnOwnerGrantsAndRevokes_AndTheGranteeCanUseButNotShare()
    {
        var owner = await platform.CreateUserAsync();
        var grantee = await platform.CreateUserAsync();
        var environmentId = await platform.CreateEnvironmentRowAsync(owner.Id);
        Assert.Equal(HttpStatusCode.NotFound, (await grantee.Client.GetAsync($"/api/environments/{environmentId}/grants")).StatusCode);

        using var granted = await owner.Client.PostAsync($"/api/environments/{environmentId}/grants",
            new { user_name = grantee.UserName, expires_at = DateTimeOffset.UtcNow.AddDays(1) });
        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        var grantId = (await ApiClient.ReadAsync(granted)).GetProperty("id").GetString();

        // Visible to the grantee now, but sharing stays the owner's.
        Assert.Equal(HttpStatusCode.Forbidden, (await grantee.Client.GetAsync($"/api/environments/{environmentId}/grants")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await grantee.Client.DeleteAsync($"/api/environments/{environmentId}/grants/{grantId}")).StatusCode);
        var list = await ApiClient.ReadAsync(await owner.Client.GetAsync($"/api/environments/{environmentId}/grants"));
        Assert.Equal(grantee.UserName, Assert.Single(list.EnumerateArray()).GetProperty("user_name").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/api/environments/{environmentId}/grants/{grantId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await grantee.Client.GetAsync($"/api/environments/{environmentId}/grants")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.Client.DeleteAsync($"/api/environments/{environmentId}/grants/{grantId}")).StatusCode);
    }

    [Fact]
    public async Task AnExpiredGrant_StopsWorkingWithoutAnyJob()
    {
        var owner = await platform.CreateUserAsync();
        var grantee = await platform.CreateUserAsync();
        var environmentId = await platform.CreateEnvironmentRowAsync(owner.Id);
        using var granted = await owner.Client.PostAsync($"/api/environments/{environmentId}/grants",
            new { user_name = grantee.UserName, expires_at = DateTimeOffset.UtcNow.AddHours(1) });
        Assert.Equal(HttpStatusCode.Forbidden, (await grantee.Client.GetAsync($"/api/environments/{environmentId}/grants")).StatusCode);

        // Time passes: move the expiry into the past, as the clock would.
        await using (var db = platform.CreateDbContext())
        {
            await db.EnvironmentGrants.Where(g => g.EnvironmentId == environmentId)
                .ExecuteUpdateAsync(s => s.SetProperty(g => g.ExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1)));
        }

        Assert.Equal(HttpStatusCode.NotFound, (await grantee.Client.GetAsync($"/api/environments/{environmentId}/grants")).StatusCode);
    }

    [Fact]
    public async Task GrantingAgain_MovesTheExpiryInsteadOfDuplicating()
    {
        var owner = await platform.CreateUserAsync();
        var grantee = await platform.CreateUserAsync();
        var environmentId = await platform.CreateEnvironmentRowAsync(owner.Id);
        var later = DateTimeOffset.UtcNow.AddDays(3);

        await owner.Client.PostAsync($"/api/environments/{environmentId}/grants", new { user_name = grantee.UserName, expires_at = DateTimeOffset.UtcNow.AddDays(1) });
        await owner.Client.PostAsync($"/api/environments/{environmentId}/grants", new { user_name = grantee.UserName, expires_at = later });

        var list = await ApiClient.ReadAsync(await owner.Client.GetAsync($"/api/environments/{environmentId}/grants"));
        var grant = Assert.Single(list.EnumerateArray());
        Assert.Equal(later.ToUnixTimeSeconds(), grant.GetProperty("expires_at").GetDateTimeOffset().ToUnixTimeSeconds());
    }

    [Fact]
    public async Task AnAdmin_ManagesAnyEnvironmentsSharing()
    {
        var owner = await platform.CreateUserAsync();
        var grantee = await platform.CreateUserAsync();
        var environmentId = await platform.CreateEnvironmentRowAsync(owner.Id);
        using var admin = await platform.AdminAsync();

        using var granted = await admin.PostAsync($"/api/environments/{environmentId}/grants",
            new { user_name = grantee.UserName, expires_at = DateTimeOffset.UtcNow.AddDays(1) });

        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
    }

    [Theory]
    [InlineData("ghost-user", 1, "user_name")]
    [InlineData(null, 1, "user_name")]
    [InlineData("$self", -1, "expires_at")]
    [InlineData("$self", 400, "expires_at")]
    public async Task CreateGrant_WithBadInput_Is400NamingTheField(string? userName, int days, string field)
    {
        var owner = await platform.CreateUserAsync();
        var grantee = await platform.CreateUserAsync();
        var environmentId = await platform.CreateEnvironmentRowAsync(owner.Id);

        using var response = await owner.Client.PostAsync($"/api/environments/{environmentId}/grants",
            new { user_name = userName == "$self" ? grantee.UserName : userName, expires_at = DateTimeOffset.UtcNow.AddDays(days) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await ApiClient.ReadAsync(response)).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task GrantingTheOwner_Is409()
    {
        var owner = await platform.CreateUserAsync();
        var environmentId = await platform.CreateEnvironmentRowAsync(owner.Id);

        using var response = await owner.Client.PostAsync($"/api/environments/{environmentId}/grants",
            new { user_name = owner.UserName, expires_at = DateTimeOffset.UtcNow.AddDays(1) });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }
}
