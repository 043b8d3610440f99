using System.Text.Json;
using System.Threading.RateLimiting;
using FluentValidation;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using RemoteGpu.Api.Apis;
using RemoteGpu.Api.Auditing;
using RemoteGpu.Api.Database;
using RemoteGpu.Api.Environments;
using RemoteGpu.Api.Identity;
using RemoteGpu.Api.Problems;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Identity;
using RemoteGpu.Core.Idle;
using RemoteGpu.Core.Options;
using RemoteGpu.Core.Provisioning;

namespace RemoteGpu.Api.Extensions;

internal static class ApplicationServiceExtensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformDatabase();
        builder.AddPlatformRedis();

        builder.Services.AddValidatedOptions<PlatformOptions>(PlatformOptions.SectionName);
        builder.Services.AddValidatedOptions<BootstrapOptions>(BootstrapOptions.SectionName);

        // Before Kestrel listens: the Api is healthy only once the schema is current and an admin exists.
        builder.Services.AddHostedService<DatabaseInitializer>();

        builder.Services.AddValidatedOptions<PlacementOptions>(PlacementOptions.SectionName);
        builder.Services.AddValidatedOptions<EnvironmentLimits>(EnvironmentLimits.SectionName);
        builder.Services.AddValidatedOptions<IdleOptions>(IdleOptions.SectionName);
        builder.Services.AddValidatedOptions<WorkspaceOptions>(WorkspaceOptions.SectionName);
        builder.Services.AddSingleton<ProvisioningQueue>();
        builder.Services.AddSingleton<OneTimeSecrets>();
        builder.Services.AddSingleton<CredentialPool>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CredentialPool>());

        builder.AddPlatformAuthentication();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<AuditLog>();
        builder.Services.AddScoped<UserSessions>();
        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddSingleton<TwoFactor>();
        builder.Services.AddLoginRateLimit();
        // The sign-in page's form; host-only on the platform host, so it never reaches an environment.
        builder.Services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "remotegpu_antiforgery";
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });

        // The edge sits in front: trust its X-Forwarded-* (loopback and configured proxies only).
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost);

        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.AddExceptionHandler<ConcurrencyExceptionHandler>();
        builder.Services.AddExceptionHandler<StoreUnavailableExceptionHandler>();
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddValidatorsFromAssemblyContaining<AuthServices>(includeInternalTypes: true);
        // Errors name fields as the JSON does: user_name, not UserName.
        ValidatorOptions.Global.PropertyNameResolver = (_, member, _) => member is null ? null : JsonNamingPolicy.SnakeCaseLower.ConvertName(member.Name);
        ValidatorOptions.Global.DisplayNameResolver = (_, member, _) => member is null ? null : JsonNamingPolicy.SnakeCaseLower.ConvertName(member.Name);

        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower;
        });
    }

    /// <summary>Login attempts per client address per minute, whatever user names they try (429 past it).</summary>
    private static void AddLoginRateLimit(this IServiceCollection services) =>
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(AuthApi.LoginRateLimit, context =>
            {
                var limit = context.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value.LoginAttemptsPerMinutePerAddress;
                return RateLimitPartition.GetFixedWindowLimiter(
                    context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = limit, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
            });
            options.OnRejected = async (context, cancellationToken) =>
            {
                const string detail = "Too many login attempts from this address. Wait a minute.";
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                if (LoginPage.IsSubmission(context.HttpContext))
                {
                    await LoginPage.WriteTooManyAttemptsAsync(context.HttpContext, detail, cancellationToken);
                    return;
                }
                await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails = { Status = StatusCodes.Status429TooManyRequests, Title = "Too many attempts", Detail = detail },
                });
            };
        });
}
