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
using RemoteGpu.Core.Data;
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

    public static void AddPlatformAuthentication(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.AddValidatedOptions<SecurityOptions>(SecurityOptions.SectionName);

        builder.AddPlatformDataProtection();

        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Cookie or API token", options =>
                options.ForwardDefaultSelector = context =>
                    context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                        ? ApiTokenAuthenticationHandler.SchemeName
                        : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie()
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
                options.Events = new CookieAuthenticationEvents
                {
                    OnValidatePrincipal = async context =>
                    {
                        var db = context.HttpContext.RequestServices.GetRequiredService<RemoteGpuDbContext>();
                        if (!await SessionValidator.IsCurrentAsync(db, context.Principal!, context.HttpContext.RequestAborted))
                        {
                            context.RejectPrincipal();
                            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                        }
                    },
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
            });

        services.AddAuthorizationBuilder()
            .AddPolicy(EnrolmentAllowed, policy => policy.RequireAuthenticatedUser())
            .AddPolicy(SignedIn, policy => RequireSignedIn(policy))
            .AddPolicy(AdminOnly, policy => RequireSignedIn(policy).RequireRole(Roles.Admin))
            .AddPolicy(AuditReaders, policy => RequireSignedIn(policy).RequireRole(Roles.Admin, Roles.Auditor));
    }
}
