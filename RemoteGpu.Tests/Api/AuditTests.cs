using System.Net;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Api;

[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class AuditTests(PlatformFixture platform)
{
    [Fact]
    public async Task LoginFailures_AreAuditedWithAddressAndUserAgent()
    {
        var user = await platform.CreateUserAsync();
        using var client = platform.CreateApiClient();
        await client.LoginAsync(user.UserName, "wrong-password-1");
        using var admin = await platform.AdminAsync();

        var page = await ApiClient.ReadAsync(await admin.GetAsync($"/api/audit?user={user.UserName}&action=auth.login"));

        var failure = page.GetProperty("items").EnumerateArray().First(e => !e.GetProperty("success").GetBoolean());
        Assert.Equal(client.Address, failure.GetProperty("address").GetString());
        Assert.Equal("RemoteGpu.Tests/1.0", failure.GetProperty("user_agent").GetString());
        Assert.Equal("bad_credentials", failure.GetProperty("details").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task FiltersAndKeysetPaging_WalkEveryMatchingEventOnceNewestFirst()
    {
        var user = await platform.CreateUserAsync();
        for (var i = 0; i < 5; i++)
        {
            await user.Client.PostAsync("/api/me/tokens", new { name = "t" + i });
        }
        using var auditor = (await platform.CreateUserAsync("auditor")).Client;

        var ids = new List<long>();
        string? after = null;
        do
        {
            var page = await ApiClient.ReadAsync(await auditor.GetAsync($"/api/audit?user={user.UserName}&action=token.*&limit=2" + (after is null ? "" : "&after=" + after)));
            var items = page.GetProperty("items").EnumerateArray().ToList();
            Assert.True(items.Count <= 2);
            Assert.All(items, e => Assert.Equal("token.create", e.GetProperty("action").GetString()));
            ids.AddRange(items.Select(e => e.GetProperty("id").GetInt64()));
            after = page.GetProperty("next_after").ValueKind == System.Text.Json.JsonValueKind.Null ? null : page.GetProperty("next_after").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        while (after is not null);

        Assert.Equal(5, ids.Count);
        Assert.Equal(ids.OrderDescending(), ids);
    }

    [Fact]
    public async Task TargetAndTimeFilters_Narrow()
    {
        var user = await platform.CreateUserAsync();
        var before = DateTimeOffset.UtcNow;
        await user.Client.PostAsync("/api/me/tokens", new { name = "windowed" });
        using var admin = await platform.AdminAsync();

        var inWindow = await ApiClient.ReadAsync(await admin.GetAsync($"/api/audit?user={user.Id}&from={Uri.EscapeDataString(before.AddSeconds(-1).ToString("O"))}&action=token.create"));
        var beforeWindow = await ApiClient.ReadAsync(await admin.GetAsync($"/api/audit?user={user.Id}&to={Uri.EscapeDataString(before.AddSeconds(-1).ToString("O"))}&action=token.create"));
        var byTarget = await ApiClient.ReadAsync(await admin.GetAsync($"/api/audit?target={user.Id}&action=auth.login"));

        Assert.Single(inWindow.GetProperty("items").EnumerateArray());
        Assert.Empty(beforeWindow.GetProperty("items").EnumerateArray());
        Assert.Contains(byTarget.GetProperty("items").EnumerateArray(), e => e.GetProperty("success").GetBoolean());
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("after=-3", "after")]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    public async Task BadQueryParameters_Are400NamingTheField(string query, string field)
    {
        using var admin = await platform.AdminAsync();

        using var response = await admin.GetAsync("/api/audit?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await ApiClient.ReadAsync(response)).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task TheAuditTable_RefusesUpdatesAndDeletes()
    {
        await using var db = platform.CreateDbContext();

        var update = await Assert.ThrowsAnyAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync("UPDATE audit_events SET success = NOT success"));
        var delete = await Assert.ThrowsAnyAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync("DELETE FROM audit_events"));

        Assert.Contains("append-only", update.MessageText, StringComparison.Ordinal);
        Assert.Contains("append-only", delete.MessageText, StringComparison.Ordinal);
    }
}
