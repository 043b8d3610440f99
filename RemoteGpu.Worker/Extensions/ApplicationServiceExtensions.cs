using RemoteGpu.Core.Data;
using RemoteGpu.Core.Options;

namespace RemoteGpu.Worker.Extensions;

internal static class ApplicationServiceExtensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<RemoteGpuDbContext>(RemoteGpuDbContext.ConnectionName);
        builder.AddRedisClient("redis");
        builder.Services.AddHealthChecks().AddCheck<SchemaHealthCheck>(SchemaHealthCheck.Name);

        builder.Services.AddOptions<PlatformOptions>()
            .BindConfiguration(PlatformOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
    }
}
