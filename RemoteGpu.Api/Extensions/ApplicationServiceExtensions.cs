using System.Text.Json;
using RemoteGpu.Api.Database;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Options;

namespace RemoteGpu.Api.Extensions;

internal static class ApplicationServiceExtensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<RemoteGpuDbContext>(RemoteGpuDbContext.ConnectionName);
        builder.AddRedisClient("redis");

        builder.Services.AddOptions<PlatformOptions>()
            .BindConfiguration(PlatformOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<BootstrapOptions>()
            .BindConfiguration(BootstrapOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // Before Kestrel listens: the Api is healthy only once the schema is current and an admin exists.
        builder.Services.AddHostedService<DatabaseInitializer>();

        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower;
        });
    }
}
