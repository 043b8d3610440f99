using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Options;
using StackExchange.Redis;

namespace RemoteGpu.Core.Identity;

/// <summary>
/// Who the caller is, the same way in the Api and at the edge: the platform session cookie (valid on
/// <c>.&lt;domain&gt;</c>, protected with a Data Protection key ring shared through Redis so every
/// instance reads it) or a personal API token, both re-validated against the user's security stamp.
/// </summary>
public static class PlatformAuthentication
{
    public const string CookieName = "remotegpu_session";
    public const string Scheme = "Platform";

    /// <summary>
    /// The edge's own session on one environment host (<c>remotegpu_env</c>, host-only), set after the
    /// hand-off through the platform host (<see cref="EnvironmentTicket"/>). Not part of <see cref="Scheme"/>:
    /// only the edge asks for it, and only on the environment named in its <see cref="EnvironmentClaim"/>.
    /// </summary>
    public const string EnvironmentScheme = "EnvironmentCookie";
    public const string EnvironmentCookieName = "remotegpu_env";

    /// <summary>The environment an <see cref="EnvironmentScheme"/> session is good for.</summary>
    public const string EnvironmentClaim = "remotegpu:environment";

    public const string ApplicationName = "RemoteGpu";
    public const string DataProtectionKeysKey = "remotegpu:dataprotection-keys";

    /// <summary>Authenticated, and not held back by a pending second-factor enrolment.</summary>
    public const string SignedIn = "signed-in";

    /// <summary>Authenticated, possibly only to enrol the second factor that policy requires.</summary>
    public const string EnrolmentAllowed = "enrolment-allowed";
    public const string AdminOnly = "admin";
    public const string AuditReaders = "audit-readers";

    /// <summary>One Data Protection key ring for every service, kept in Redis: cookies and protected secrets read everywhere.</summary>
    public static void AddPlatformDataProtection(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddDataProtection().SetApplicationName(ApplicationName);
        builder.Services.AddOptions<KeyManagementOptions>()
            .Configure<IConnectionMultiplexer>((options, redis) =>
                options.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), DataProtectionKeysKey));
        builder.Services.TryAddSingleton<EnvironmentSecrets>();
    }

    /// <summary>Authenticated, and not a session held back until it enrols the second factor policy requires.</summary>
    private static AuthorizationPolicyBuilder RequireSignedIn(AuthorizationPolicyBuilder policy) =>
        policy.RequireAuthenticatedUser()
            .RequireAssertion(context => !context.User.HasClaim(c => c.Type == PlatformClaims.TwoFactorEnrolmentRequired));

    /// <summary>
    /// Every cookie scheme's check on each request: the session's user is still enabled and its security
    /// stamp still current, and the server-side session the cookie names has not ended; otherwise the
    /// cookie is rejected and deleted. A live session records the request as its last seen, at most once
    /// per <see cref="SecurityOptions.SessionTouchInterval"/>.
    /// </summary>
    private static async Task ValidatePrincipalAsync(CookieValidatePrincipalContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var services = context.HttpContext.RequestServices;
        var store = services.GetRequiredService<ICredentialStore>();
        var cancellationToken = context.HttpContext.RequestAborted;
        if (!await IsCurrentAsync(store, context.Principal!, cancellationToken)
            || await FindLiveSessionAsync(store, context.Principal!, cancellationToken) is not { } session)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(context.Scheme.Name);
            return;
        }

        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        if (session.IsDueForTouch(now, services.GetRequiredService<IOptions<SecurityOptions>>().Value.SessionTouchInterval))
        {
            await store.TouchSessionAsync(session, now, cancellationToken);
        }
    }

    /// <summary>
    /// The server-side session a cookie's principal names, when it is the principal's user's and has not
    /// ended; null otherwise, and always for a principal without one (an API token, a cookie from before
    /// sessions were recorded).
    /// </summary>
    public static async ValueTask<SessionState?> FindLiveSessionAsync(ICredentialStore store, ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(principal);
        return principal.Session() is { } sessionId
            && Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var userId)
            && await store.FindSessionAsync(sessionId, cancellationToken) is { } session
            && session.Accepts(userId)
                ? session
                : null;
    }

    /// <summary>
    /// Checked on every request, for cookies and tokens alike: the user still exists, is not disabled,
    /// and the security stamp the credential was issued under is still the user's. Disabling a user or
    /// changing their password therefore ends every session at once, not when it expires.
    /// </summary>
    public static async ValueTask<bool> IsCurrentAsync(ICredentialStore store, ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(principal);
        if (!Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var userId) || principal.Stamp() is not { } stamp)
        {
            return false;
        }
        return await store.FindUserAsync(userId, cancellationToken) is { } user && user.Accepts(stamp);
    }

    /// <summary>What every cookie scheme does: the stamp check on each request, and statuses rather than redirects.</summary>
    private static CookieAuthenticationEvents CookieEvents() => new()
    {
        OnValidatePrincipal = ValidatePrincipalAsync,
        // An API answers with a status, not a redirect to a login page.
        OnRedirectToLogin = context =>
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Task.CompletedTask;
        },
        OnRedirectToAccessDenied = context =>
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        },
    };

    /// <summary>
    /// The handler the platform scheme forwards to: the API-token one for <c>Authorization: Bearer</c>,
    /// the session cookie's otherwise.
    /// </summary>
    public static string HandlerSchemeFor(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? ApiTokenAuthenticationHandler.SchemeName
            : CookieAuthenticationDefaults.AuthenticationScheme;
    }

    /// <param name="builder">The service's builder.</param>
    /// <param name="asDefault">
    /// Whether <see cref="Scheme"/> is the default scheme, which the authentication middleware runs on every
    /// request. The edge passes <c>false</c>: it authenticates an environment host's request itself, and
    /// the platform host's requests are the Api's to authenticate.
    /// </param>
    public static void AddPlatformAuthentication(this IHostApplicationBuilder builder, bool asDefault = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.AddValidatedOptions<SecurityOptions>(SecurityOptions.SectionName);

        builder.AddPlatformDataProtection();
        services.TryAddScoped<DatabaseCredentialStore>();
        services.TryAddScoped<ICredentialStore>(provider => provider.GetRequiredService<DatabaseCredentialStore>());

        (asDefault ? services.AddAuthentication(Scheme) : services.AddAuthentication())
            .AddPolicyScheme(Scheme, "Cookie or API token", options =>
                options.ForwardDefaultSelector = context => HandlerSchemeFor(context.Request))
            .AddCookie()
            .AddCookie(EnvironmentScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null);

        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<PlatformOptions>, IOptions<SecurityOptions>>((options, platform, security) =>
            {
                options.Cookie.Name = CookieName;
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                // Browsers refuse a Domain attribute without a dot (localhost): there the cookie is
                // host-only and the edge mints its own per-environment cookie instead.
                options.Cookie.Domain = platform.Value.BaseDomain.Contains('.', StringComparison.Ordinal)
                    ? "." + platform.Value.BaseDomain
                    : null;
                options.ExpireTimeSpan = security.Value.SessionLifetime;
                options.SlidingExpiration = true;
                options.Events = CookieEvents();
            });

        services.AddOptions<CookieAuthenticationOptions>(EnvironmentScheme)
            .Configure<IOptions<SecurityOptions>>((options, security) =>
            {
                options.Cookie.Name = EnvironmentCookieName;
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                // Host-only: env-<id>.<domain> alone, never its siblings.
                options.Cookie.Domain = null;
                options.Cookie.Path = "/";
                options.ExpireTimeSpan = security.Value.SessionLifetime;
                options.SlidingExpiration = true;
                options.Events = CookieEvents();
            });

        services.AddAuthorizationBuilder()
            .AddPolicy(EnrolmentAllowed, policy => policy.RequireAuthenticatedUser())
            .AddPolicy(SignedIn, policy => RequireSignedIn(policy))
            .AddPolicy(AdminOnly, policy => RequireSignedIn(policy).RequireRole(Roles.Admin))
            .AddPolicy(AuditReaders, policy => RequireSignedIn(policy).RequireRole(Roles.Admin, Roles.Auditor));
    }
}
