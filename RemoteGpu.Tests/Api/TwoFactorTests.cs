using System.Net;
using OtpNet;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Api;

[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class TwoFactorTests(PlatformFixture platform)
{
    internal static async Task<(string Secret, List<string> RecoveryCodes)> EnrolAsync(ApiClient client)
    {
        var start = await ApiClient.ReadAsync(await client.PostAsync("/api/me/totp"));
        var secret = start.GetProperty("secret").GetString()!;
        var uri = start.GetProperty("otpauth_uri").GetString()!;
        Assert.StartsWith("otpauth://totp/", uri, StringComparison.Ordinal);
        Assert.Contains("secret=" + secret, uri, StringComparison.Ordinal);
        Assert.Contains("issuer=RemoteGpu", uri, StringComparison.Ordinal);

        using var confirmed = await client.PostAsync("/api/me/totp/confirm", new { code = Code(secret) });
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        var codes = (await ApiClient.ReadAsync(confirmed)).GetProperty("recovery_codes").EnumerateArray().Select(c => c.GetString()!).ToList();
        return (secret, codes);
    }

    internal static string Code(string secret, int stepOffset = 0) =>
        new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(DateTime.UtcNow.AddSeconds(30 * stepOffset));

    [Fact]
    public async Task Enrolment_NeedsAValidCode_ThenLoginNeedsTheSecondFactor()
    {
        var user = await platform.CreateUserAsync();
        var start = await ApiClient.ReadAsync(await user.Client.PostAsync("/api/me/totp"));
        var secret = start.GetProperty("secret").GetString()!;

        using var wrong = await user.Client.PostAsync("/api/me/totp/confirm", new { code = Code(secret, stepOffset: 10) });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        using var malformed = await user.Client.PostAsync("/api/me/totp/confirm", new { code = "12ab56" });
        Assert.True((await ApiClient.ReadAsync(malformed)).GetProperty("errors").TryGetProperty("code", out _));

        using var confirmed = await user.Client.PostAsync("/api/me/totp/confirm", new { code = Code(secret) });
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        Assert.Equal(10, (await ApiClient.ReadAsync(confirmed)).GetProperty("recovery_codes").GetArrayLength());

        using var client = platform.CreateApiClient();
        using var withoutCode = await client.LoginAsync(user.UserName, user.Password);
        Assert.Equal(HttpStatusCode.Unauthorized, withoutCode.StatusCode);
        Assert.True((await ApiClient.ReadAsync(withoutCode)).GetProperty("totp_required").GetBoolean());
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/me")).StatusCode);

        using var wrongCode = await client.LoginAsync(user.UserName, user.Password, Code(secret, stepOffset: 10));
        Assert.Equal(HttpStatusCode.Unauthorized, wrongCode.StatusCode);
    }

    [Fact]
    public async Task ATotpCode_IsGoodOnlyOnce()
    {
        var user = await platform.CreateUserAsync();
        var (secret, _) = await EnrolAsync(user.Client);
        // The enrolment used the current step: the next one is the first unused.
        var code = Code(secret, stepOffset: 1);
        using var first = platform.CreateApiClient();
        using var second = platform.CreateApiClient();

        Assert.Equal(HttpStatusCode.OK, (await first.LoginAsync(user.UserName, user.Password, code)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.LoginAsync(user.UserName, user.Password, code)).StatusCode);
    }

    [Fact]
    public async Task ARecoveryCode_IsGoodOnlyOnce()
    {
        var user = await platform.CreateUserAsync();
        var (_, codes) = await EnrolAsync(user.Client);
        using var first = platform.CreateApiClient();
        using var second = platform.CreateApiClient();

        using var ok = await first.LoginAsync(user.UserName, user.Password, codes[3]);
        using var reused = await second.LoginAsync(user.UserName, user.Password, codes[3]);

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, reused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second.LoginAsync(user.UserName, user.Password, codes[4].ToUpperInvariant())).StatusCode);
    }

    [Fact]
    public async Task Disabling_NeedsThePassword_ThenLoginIsPasswordOnlyAgain()
    {
        var user = await platform.CreateUserAsync();
        await EnrolAsync(user.Client);

        Assert.Equal(HttpStatusCode.Forbidden, (await user.Client.DeleteAsync("/api/me/totp", new { password = "wrong-password-1" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.DeleteAsync("/api/me/totp", new { password = user.Password })).StatusCode);

        using var client = platform.CreateApiClient();
        Assert.Equal(HttpStatusCode.OK, (await client.LoginAsync(user.UserName, user.Password)).StatusCode);
    }

    [Fact]
    public async Task PolicyRequiringTwoFactor_HoldsASessionToEnrolmentUntilDone()
    {
        var user = await platform.CreateUserAsync();
        await using var strictApi = await platform.StartExtraApiAsync(("Security__TwoFactor", "All"));
        using var client = new ApiClient(strictApi.Address);

        using var login = await client.LoginAsync(user.UserName, user.Password);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.True((await ApiClient.ReadAsync(login)).GetProperty("two_factor_enrolment_required").GetBoolean());

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/me/tokens")).StatusCode);

        await EnrolAsync(client);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/me/tokens")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.DeleteAsync("/api/me/totp", new { password = user.Password })).StatusCode);
    }
}
