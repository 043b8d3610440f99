using System.Reflection;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Options;

namespace RemoteGpu.Api.Apis;

/// <summary>Facts about this deployment that a client needs before logging in.</summary>
internal static class PlatformApi
{
    private static readonly string ProductVersion =
        typeof(PlatformApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static IEndpointRouteBuilder MapPlatformApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Platform");
        api.MapGet("/info", GetInfo)
            .WithName("GetPlatformInfo")
            .WithSummary("The platform's name, version and base domain.");
        return app;
    }

    public static Ok<PlatformInfo> GetInfo(IOptions<PlatformOptions> platform, TimeProvider time) =>
        TypedResults.Ok(new PlatformInfo("RemoteGpu", ProductVersion, platform.Value.BaseDomain, time.GetUtcNow()));
}

internal sealed record PlatformInfo(string Name, string Version, string BaseDomain, DateTimeOffset ServerTime);
