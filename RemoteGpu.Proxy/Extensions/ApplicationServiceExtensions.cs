using Microsoft.Extensions.Options;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Identity;
using RemoteGpu.Core.Options;
using RemoteGpu.Proxy.Edge;
using RemoteGpu.Proxy.Identity;
using RemoteGpu.Proxy.Routing;
using Yarp.ReverseProxy.Configuration;

namespace RemoteGpu.Proxy.Extensions;

internal static class ApplicationServiceExtensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformDatabase();
        // The route table's own connections: LISTEN, and the loads it triggers.
        builder.AddNpgsqlDataSource(RemoteGpuDbContext.ConnectionName,
            settings => ConnectionStringCheck.Postgres(RemoteGpuDbContext.ConnectionName, settings.ConnectionString));
        builder.AddPlatformRedis();
        builder.Services.AddHealthChecks()
            .AddCheck<SchemaHealthCheck>(SchemaHealthCheck.Name)
            .AddCheck<RouteTableHealthCheck>(RouteTableHealthCheck.Name);

        builder.Services.AddValidatedOptions<PlatformOptions>(PlatformOptions.SectionName);
        builder.Services.AddValidatedOptions<EdgeOptions>(EdgeOptions.SectionName);

        // The platform host goes to the Api through one YARP route.
        builder.Services.AddSingleton<IProxyConfigProvider>(services =>
            PlatformRoutes.CreateProvider(services.GetRequiredService<IOptions<PlatformOptions>>().Value));
        builder.Services.AddReverseProxy().AddServiceDiscoveryDestinationResolver();

        // Environment hosts: the route table from Postgres, and the edge in front of IHttpForwarder.
        // Credentials come from the cache Postgres invalidates, registered before authentication so that
        // its database default stays out of the way.
        builder.Services.AddSingleton<CachedCredentialStore>();
        builder.Services.AddSingleton<ICredentialStore>(services => services.GetRequiredService<CachedCredentialStore>());
        // Not the default: the edge authenticates with the one handler a request needs (EnvironmentSession).
        builder.AddPlatformAuthentication(asDefault: false);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<EdgeUnavailableHandler>();
        builder.Services.AddSingleton<RouteTable>();
        builder.Services.AddHostedService<RouteTableLoader>();
        builder.Services.AddSingleton<EdgeHttpClient>();
        builder.Services.AddSingleton<EdgeAccessAudit>();
        builder.Services.AddSingleton<EdgeActivity>();
        builder.Services.AddSingleton<EnvironmentEdge>();
    }
}
