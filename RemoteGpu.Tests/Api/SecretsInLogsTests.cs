using System.Net;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Api;

/// <summary>
/// A full identity run — login, failed logins, token, TOTP enrolment and recovery codes, password
/// change, sessions listed and ended — then every line every service printed is searched for each secret
/// that went by (a session id counts: it is shown whole only to its user).
/// </summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class SecretsInLogsTests(PlatformFixture platform)
{
    [Fact]
    public async Task NoPasswordTokenTotpSecretRecoveryCodeSessionIdOrCookie_AppearsInAnyLog()
    {
        var user = await platform.CreateUserAsync();
        var secrets = new List<string> { user.Password, PlatformFixture.AdminPassword };

        using var failing = platform.CreateApiClient();
        await failing.LoginAsync(user.UserName, "Typo-" + user.Password);
        secrets.Add("Typo-" + user.Password);

        var token = (await ApiClient.ReadAsync(await user.Client.PostAsync("/api/me/tokens", new { name = "leak-check" }))).GetProperty("token").GetString()!;
        secrets.Add(token);
        using var bearer = platform.CreateApiClient(token);
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync("/api/me")).StatusCode);

        var (totpSecret, recoveryCodes) = await TwoFactorTests.EnrolAsync(user.Client);
        secrets.Add(totpSecret);
        secrets.AddRange(recoveryCodes);
        using var second = platform.CreateApiClient();
        Assert.Equal(HttpStatusCode.OK, (await second.LoginAsync(user.UserName, user.Password, recoveryCodes[0])).StatusCode);

        const string NewPassword = "Rotated-pass-987";
        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.PostAsync("/api/me/password", new { current_password = user.Password, new_password = NewPassword })).StatusCode);
        secrets.Add(NewPassword);

        secrets.Add(user.Client.Cookies.GetCookies(platform.ApiAddress)["remotegpu_session"]!.Value);
        using var third = platform.CreateApiClient();
        Assert.Equal(HttpStatusCode.OK, (await third.LoginAsync(user.UserName, NewPassword, recoveryCodes[1])).StatusCode);
        var sessions = (await ApiClient.ReadAsync(await user.Client.GetAsync("/api/me/sessions"))).EnumerateArray()
            .Select(s => s.GetProperty("id").GetGuid()).ToList();
        Assert.Equal(2, sessions.Count);
        secrets.AddRange(sessions.SelectMany(id => new[] { id.ToString(), id.ToString("N") }));
        Assert.Equal(HttpStatusCode.NoContent, (await third.PostAsync("/api/auth/logout")).StatusCode);

        var logs = await platform.AllLogsAsync();
        Assert.NotEmpty(logs);
        // The services' logs were captured (request logging is at Warning, so this is the edge's own line).
        Assert.Contains("Listening on Postgres channels", logs, StringComparison.Ordinal);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
        }
    }
}
