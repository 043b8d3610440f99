using System.Net;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Api;

[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class AuthApiTests(PlatformFixture platform)
{
    [Fact]
    public async Task Login_WithRightPassword_SetsAnHttpOnlyLaxSessionCookie()
    {
        var user = await platform.CreateUserAsync();
        using var client = platform.CreateApiClient();

        using var response = await client.LoginAsync(user.UserName, user.Password);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("remotegpu_session=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        // Plain HTTP here: a Secure cookie would never be sent back.
        Assert.DoesNotContain("secure", cookie.Replace("samesite", "", StringComparison.OrdinalIgnoreCase), StringComparison.OrdinalIgnoreCase);
        var me = await ApiClient.ReadAsync(await client.GetAsync("/api/me"));
        Assert.Equal(user.UserName, me.GetProperty("user_name").GetString());
    }

    [Fact]
    public async Task Login_ConcurrentlyAsOneUser_AllSucceed()
    {
        var user = await platform.CreateUserAsync();
        var clients = Enumerable.Range(0, 4).Select(_ => platform.CreateApiClient()).ToList();

        var responses = await Task.WhenAll(clients.Select(c => c.LoginAsync(user.UserName, user.Password)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Login_WrongPasswordAndUnknownUser_AnswerTheSame()
    {
        var user = await platform.CreateUserAsync();
        using var client = platform.CreateApiClient();

        using var wrongPassword = await client.LoginAsync(user.UserName, "definitely-wrong-1");
        using var unknownUser = await client.LoginAsync("nobody-" + Guid.NewGuid().ToString("N")[..8], "definitely-wrong-1");

        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownUser.StatusCode);
        var a = await ApiClient.ReadAsync(wrongPassword);
        var b = await ApiClient.ReadAsync(unknownUser);
        Assert.Equal(a.GetProperty("title").GetString(), b.GetProperty("title").GetString());
        Assert.Equal(a.GetProperty("detail").GetString(), b.GetProperty("detail").GetString());
        Assert.Equal("application/problem+json", wrongPassword.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Login_AfterFiveFailures_LocksExistingAndUnknownNamesAlike()
    {
        var user = await platform.CreateUserAsync();
        var unknown = "ghost-" + Guid.NewGuid().ToString("N")[..8];
        using var client = platform.CreateApiClient();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.LoginAsync(user.UserName, "wrong-password-" + i)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.LoginAsync(unknown, "wrong-password-" + i)).StatusCode);
        }

        using var locked = await client.LoginAsync(user.UserName, user.Password);
        using var lockedUnknown = await client.LoginAsync(unknown, "wrong-password-x");
        Assert.Equal((HttpStatusCode)423, locked.StatusCode);
        Assert.Equal((HttpStatusCode)423, lockedUnknown.StatusCode);
        Assert.Equal(
            (await ApiClient.ReadAsync(locked)).GetProperty("detail").GetString(),
            (await ApiClient.ReadAsync(lockedUnknown)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Login_PastTheLimitPerAddress_Is429WhileOtherAddressesGoOn()
    {
        using var noisy = platform.CreateApiClient();
        HttpStatusCode last = default;
        for (var i = 0; i <= PlatformFixture.LoginAttemptsPerMinutePerAddress; i++)
        {
            // A fresh name each time: this is the per-address limit, not the per-account lockout.
            using var response = await noisy.LoginAsync("probe-" + Guid.NewGuid().ToString("N")[..10], "wrong-password");
            last = response.StatusCode;
            if (last == HttpStatusCode.TooManyRequests)
            {
                Assert.True(response.Headers.RetryAfter is not null || response.Headers.Contains("Retry-After"));
                break;
            }
            Assert.Equal(HttpStatusCode.Unauthorized, last);
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, last);

        var user = await platform.CreateUserAsync();
        using var quiet = platform.CreateApiClient();
        Assert.Equal(HttpStatusCode.OK, (await quiet.LoginAsync(user.UserName, user.Password)).StatusCode);
    }

    [Fact]
    public async Task Login_DisabledUser_Is403OnlyWithTheRightPassword()
    {
        var user = await platform.CreateUserAsync();
        using var admin = await platform.AdminAsync();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/users/{user.Id}/disable")).StatusCode);
        using var client = platform.CreateApiClient();

        using var right = await client.LoginAsync(user.UserName, user.Password);
        using var wrong = await client.LoginAsync(user.UserName, "wrong-password-1");

        Assert.Equal(HttpStatusCode.Forbidden, right.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public async Task DisablingAUser_RevokesTheirSessionsAndTokensAtOnce()
    {
        var user = await platform.CreateUserAsync();
        using var session = user.Client;
        var token = (await ApiClient.ReadAsync(await session.PostAsync("/api/me/tokens", new { name = "ci" }))).GetProperty("token").GetString()!;
        using var bearer = platform.CreateApiClient(token);
        Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync("/api/me")).StatusCode);

        using var admin = await platform.AdminAsync();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/users/{user.Id}/disable")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await session.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await bearer.GetAsync("/api/me")).StatusCode);

        // Re-enabling does not resurrect what was revoked; a new login works.
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/users/{user.Id}/enable")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await bearer.GetAsync("/api/me")).StatusCode);
        using var again = platform.CreateApiClient();
        Assert.Equal(HttpStatusCode.OK, (await again.LoginAsync(user.UserName, user.Password)).StatusCode);
    }

    [Fact]
    public async Task ChangingThePassword_EndsOtherSessionsAndTokensButNotThisOne()
    {
        var user = await platform.CreateUserAsync();
        using var other = platform.CreateApiClient();
        Assert.Equal(HttpStatusCode.OK, (await other.LoginAsync(user.UserName, user.Password)).StatusCode);
        var token = (await ApiClient.ReadAsync(await user.Client.PostAsync("/api/me/tokens", new { name = "laptop" }))).GetProperty("token").GetString()!;
        using var bearer = platform.CreateApiClient(token);

        using var wrongCurrent = await user.Client.PostAsync("/api/me/password", new { current_password = "not-the-password", new_password = "Brand-new-pass-1" });
        Assert.Equal(HttpStatusCode.Forbidden, wrongCurrent.StatusCode);

        using var changed = await user.Client.PostAsync("/api/me/password", new { current_password = user.Password, new_password = "Brand-new-pass-1" });
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await user.Client.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await bearer.GetAsync("/api/me")).StatusCode);
        using var fresh = platform.CreateApiClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await fresh.LoginAsync(user.UserName, user.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fresh.LoginAsync(user.UserName, "Brand-new-pass-1")).StatusCode);
    }

    [Fact]
    public async Task Logout_EndsTheSession()
    {
        var user = await platform.CreateUserAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.PostAsync("/api/auth/logout")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await user.Client.GetAsync("/api/me")).StatusCode);
    }

    [Theory]
    [InlineData("{\"user_name\": \"a\", \"password\": ", "password")]
    [InlineData("{\"user_name\": 5, \"password\": \"x\"}", "user_name")]
    [InlineData("{\"password\": \"something-long\"}", "user_name")]
    [InlineData("{\"user_name\": \"someone\"}", "password")]
    [InlineData("not json at all", "body")]
    public async Task Login_WithABadBody_Is400NamingTheField(string body, string field)
    {
        using var client = platform.CreateApiClient();

        using var response = await client.PostRawAsync("/api/auth/login", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ApiClient.ReadAsync(response);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name '{field}': {problem}");
    }

    [Fact]
    public async Task Login_WithAnOverlongUserName_Is400NamingTheField()
    {
        using var client = platform.CreateApiClient();

        using var response = await client.LoginAsync(new string('a', 65), "whatever-password");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await ApiClient.ReadAsync(response)).GetProperty("errors").TryGetProperty("user_name", out _));
    }
}
