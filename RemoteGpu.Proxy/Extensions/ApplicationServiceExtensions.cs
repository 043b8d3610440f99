using Microsoft.Extensions.Options;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Options;
using RemoteGpu.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace RemoteGpu.Proxy.Extensions;

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

        builder.Services.AddSingleton<IProxyConfigProvider>(services =>
            PlatformRoutes.CreateProvider(services.GetRequiredService<IOptions<PlatformOptions>>().Value));
        builder.Services.AddReverseProxy();
        builder.Services.AddSingleton<IDestinationResolver, ServiceDiscoveryDestinationResolver>();
    }
}
