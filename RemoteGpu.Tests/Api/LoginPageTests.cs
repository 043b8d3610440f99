using System.Net;
using System.Text.RegularExpressions;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Api;

/// <summary>
/// The sign-in page on the platform host (<c>/login</c>), where the edge sends browsers: a plain form with
/// an antiforgery token, signing in through the same routine as <c>POST /api/auth/login</c>, and sending
/// the browser on only to a return URL of ours.
/// </summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed partial class LoginPageTests(PlatformFixture platform)
{
    [Fact]
    public async Task ThePage_IsAPlainSelfContainedForm_WithAnAntiforgeryToken_NeverCachedOrFramed()
    {
        using var browser = new FormClient(platform);

        using var response = await browser.GetAsync("/login?return_url=%2Fjupyter%2F");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Contains("default-src 'none'", Assert.Single(response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("remotegpu_antiforgery=", StringComparison.Ordinal));
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<form method=\"post\" action=\"/login\">", html, StringComparison.Ordinal);
        foreach (var field in new[] { "user_name", "password", "totp_code" })
        {
            Assert.Contains($"name=\"{field}\"", html, StringComparison.Ordinal);
        }
        Assert.Contains("type=\"password\"", html, StringComparison.Ordinal);
        Assert.Equal("/jupyter/", FormClient.HiddenValue(html, "return_url"));
        Assert.False(string.IsNullOrEmpty(FormClient.HiddenValue(html, "__RequestVerificationToken")));
        // No script and nothing fetched from elsewhere.
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SigningIn_SetsTheSession_AndGoesToTheReturnUrl()
    {
        var user = await platform.CreateUserAsync();
        using var browser = new FormClient(platform);

        using var response = await browser.SubmitAsync("/login?return_url=%2Fapi%2Fme", user.UserName, user.Password);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/api/me", response.Headers.Location?.OriginalString);
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("remotegpu_session=", StringComparison.Ordinal));
        using var me = await browser.GetAsync("/api/me");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal(user.UserName, (await ApiClient.ReadAsync(me)).GetProperty("user_name").GetString());
    }

    [Fact]
    public async Task UnsafeReturnUrls_AreIgnored_SafeOnesKept()
    {
        var user = await platform.CreateUserAsync();
        using var browser = new FormClient(platform);
        var edge = platform.ProxyAddress.Port;
        var unsafeUrls = new[]
        {
            "//evil.example/", "/\\evil.example", "/\t/evil.example", "https://evil.example/", "http://localhost.evil.example/",
            "http://evil.example/?localhost", "https://localhost@evil.example/", "http://user@localhost/", "javascript:alert(1)",
            "ftp://localhost/", "http://env-0123abcd.evil.example/", "http://env-01234.localhost/", "http://xenv-0123abcd.localhost/",
            "evil.example", "",
            // The platform's hosts, but not the edge's scheme and port: another service on the same host.
            "http://localhost:9999/x", $"https://localhost:{edge}/", "https://localhost/", $"http://env-0123abcd.localhost:{edge + 1}/jupyter/",
        };
        var safeUrls = new[]
        {
            "/", "/jupyter/lab?x=1", $"http://localhost:{edge}/environments", $"http://env-0123abcd.localhost:{edge}/jupyter/",
        };

        foreach (var returnUrl in unsafeUrls.Concat(safeUrls))
        {
            var safe = safeUrls.Contains(returnUrl);

            // The page itself carries only a safe return URL...
            using (var page = await browser.GetAsync("/login?return_url=" + Uri.EscapeDataString(returnUrl)))
            {
                Assert.Equal(safe ? returnUrl : string.Empty, FormClient.HiddenValue(await page.Content.ReadAsStringAsync(), "return_url"));
            }

            // ...and a form posted with an unsafe one (tampered) still lands on /.
            using var response = await browser.SubmitAsync("/login", user.UserName, user.Password, returnUrl: returnUrl);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.True((safe ? returnUrl : "/") == response.Headers.Location?.OriginalString,
                $"return_url {returnUrl}: redirected to {response.Headers.Location}");
        }
    }

    /// <summary>Finding 6 (issue 21): a sign-in could be sent on to another port (another service) of the platform's host.</summary>
    [Fact]
    public async Task Finding6_AReturnUrlOnAnotherPortOrScheme_IsIgnored()
    {
        var user = await platform.CreateUserAsync();
        using var browser = new FormClient(platform);

        foreach (var returnUrl in new[] { "http://localhost:9999/x", $"https://localhost:{platform.ProxyAddress.Port}/x" })
        {
            using var response = await browser.SubmitAsync("/login", user.UserName, user.Password, returnUrl: returnUrl);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/", response.Headers.Location?.OriginalString);
        }
    }

    [Fact]
    public async Task AWrongPassword_ShowsTheFormAgainWith401_KeepingTheUserNameButNeverThePassword()
    {
        var user = await platform.CreateUserAsync();
        using var browser = new FormClient(platform);
        const string wrong = "Wrong-password-echo-1";

        using var response = await browser.SubmitAsync("/login?return_url=%2Fjupyter%2F", user.UserName, wrong);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("Invalid credentials", html, StringComparison.Ordinal);
        Assert.Contains($"value=\"{user.UserName}\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, html, StringComparison.Ordinal);
        Assert.Equal("/jupyter/", FormClient.HiddenValue(html, "return_url"));
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies)
            && cookies.Any(c => c.StartsWith("remotegpu_session=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task TheSecondFactor_IsAskedFor_ThenAccepted()
    {
        var user = await platform.CreateUserAsync();
        var (secret, _) = await TwoFactorTests.EnrolAsync(user.Client);
        using var browser = new FormClient(platform);

        using (var asked = await browser.SubmitAsync("/login", user.UserName, user.Password))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, asked.StatusCode);
            var html = await asked.Content.ReadAsStringAsync();
            Assert.Contains("Second factor required", html, StringComparison.Ordinal);
            Assert.Matches("<input id=\"totp_code\"[^>]* required", html);
            Assert.DoesNotContain(user.Password, html, StringComparison.Ordinal);
        }

        // The enrolment used the current step: the next one is the first unused.
        using var signedIn = await browser.SubmitAsync("/login", user.UserName, user.Password, TwoFactorTests.Code(secret, stepOffset: 1));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/", signedIn.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task ADisabledAccount_Is403_AndALockedOne423_AsInTheApi()
    {
        var disabled = await platform.CreateUserAsync();
        using (var admin = await platform.AdminAsync())
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/users/{disabled.Id}/disable")).StatusCode);
        }
        using var browser = new FormClient(platform);
        using (var refused = await browser.SubmitAsync("/login", disabled.UserName, disabled.Password))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("Account disabled", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var locked = await platform.CreateUserAsync();
        for (var i = 0; i < 5; i++)
        {
            using var failure = await browser.SubmitAsync("/login", locked.UserName, "wrong-password-" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, failure.StatusCode);
        }
        using var lockedOut = await browser.SubmitAsync("/login", locked.UserName, locked.Password);
        Assert.Equal((HttpStatusCode)423, lockedOut.StatusCode);
        Assert.Contains("temporarily locked", await lockedOut.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFormWithoutItsAntiforgeryToken_IsRefused_AndSignsNobodyIn()
    {
        var user = await platform.CreateUserAsync();
        using var browser = new FormClient(platform);

        using var response = await browser.PostFormAsync("/login", new Dictionary<string, string>
        {
            ["user_name"] = user.UserName,
            ["password"] = user.Password,
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("expired", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/me")).StatusCode);
    }

    [Theory]
    [InlineData("", "password", "user_name")]
    [InlineData("someone", "", "password")]
    public async Task AnEmptyField_Is400_NamingIt(string userName, string password, string field)
    {
        using var browser = new FormClient(platform);

        using var response = await browser.SubmitAsync("/login", userName, password);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"&#39;{field}&#39;", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PastTheLimitPerAddress_TheFormAnswers429_WithThePageAgain()
    {
        using var browser = new FormClient(platform);
        var userName = "ghost-" + Guid.NewGuid().ToString("N")[..8];
        HttpResponseMessage? limited = null;
        for (var i = 0; i <= PlatformFixture.LoginAttemptsPerMinutePerAddress && limited is null; i++)
        {
            var response = await browser.SubmitAsync("/login", userName + i, "wrong-password-1");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        using (limited)
        {
            Assert.Equal("text/html", limited.Content.Headers.ContentType?.MediaType);
            Assert.True(limited.Headers.RetryAfter is not null);
            var html = await limited.Content.ReadAsStringAsync();
            Assert.Contains("Too many attempts", html, StringComparison.Ordinal);
            Assert.Contains("name=\"user_name\"", html, StringComparison.Ordinal);
        }
    }

    /// <summary>A browser's view of the form: its own cookie jar and client address, the antiforgery token read from the page.</summary>
    private sealed partial class FormClient : IDisposable
    {
        private static int _nextAddress;
        private readonly HttpClient _http;

        public FormClient(PlatformFixture platform)
        {
            _http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true, AllowAutoRedirect = false })
            {
                BaseAddress = platform.ApiAddress,
            };
            var n = Interlocked.Increment(ref _nextAddress);
            _http.DefaultRequestHeaders.Add("X-Forwarded-For", $"198.20.{n / 250 % 250}.{n % 250 + 1}");
            _http.DefaultRequestHeaders.TryAddWithoutValidation("Accept", "text/html,application/xhtml+xml");
        }

        public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(new Uri(path, UriKind.Relative));

        public Task<HttpResponseMessage> PostFormAsync(string path, Dictionary<string, string> fields) =>
            _http.PostAsync(new Uri(path, UriKind.Relative), new FormUrlEncodedContent(fields));

        /// <summary>Loads the page at <paramref name="pagePath"/> and submits its form as a person would (or with a tampered return URL).</summary>
        public async Task<HttpResponseMessage> SubmitAsync(string pagePath, string userName, string password, string? totpCode = null, string? returnUrl = null)
        {
            using var page = await GetAsync(pagePath);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var html = await page.Content.ReadAsStringAsync();
            var fields = new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = HiddenValue(html, "__RequestVerificationToken"),
                ["return_url"] = returnUrl ?? HiddenValue(html, "return_url"),
                ["user_name"] = userName,
                ["password"] = password,
                ["totp_code"] = totpCode ?? string.Empty,
            };
            return await PostFormAsync("/login", fields);
        }

        public static string HiddenValue(string html, string name)
        {
            var match = HiddenInput().Matches(html).FirstOrDefault(m => m.Groups["name"].Value == name);
            Assert.True(match is not null, $"No hidden field {name} in the page.");
            return WebUtility.HtmlDecode(match.Groups["value"].Value);
        }

        public void Dispose() => _http.Dispose();

        [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]+)\" value=\"(?<value>[^\"]*)\">")]
        private static partial Regex HiddenInput();
    }
}
