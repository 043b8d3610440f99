using RemoteGpu.Core.Data;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Identity;
using RemoteGpu.Core.Idle;
using RemoteGpu.Core.Options;
using RemoteGpu.Core.Provisioning;
using RemoteGpu.Worker.Health;
using RemoteGpu.Worker.Idle;
using RemoteGpu.Worker.Provisioning;
using RemoteGpu.Worker.Runtime.Docker;

namespace RemoteGpu.Worker.Extensions;

internal static class ApplicationServiceExtensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddPlatformDatabase();
        builder.AddPlatformRedis();
        builder.AddPlatformDataProtection();
        builder.AddDockerRuntime();
        builder.Services.AddHealthChecks()
            .AddCheck<SchemaHealthCheck>(SchemaHealthCheck.Name)
            .AddCheck<DockerHealthCheck>("docker");

        builder.Services.AddValidatedOptions<PlatformOptions>(PlatformOptions.SectionName);
        builder.Services.AddValidatedOptions<WorkspaceOptions>(WorkspaceOptions.SectionName);
        builder.Services.AddValidatedOptions<ProvisioningOptions>(ProvisioningOptions.SectionName);
        builder.Services.AddValidatedOptions<HealthOptions>(HealthOptions.SectionName);
        builder.Services.AddValidatedOptions<IdleOptions>(IdleOptions.SectionName);

        builder.Services.AddSingleton<ProvisioningQueue>();
        builder.Services.AddSingleton<SshProbe>();
        builder.Services.AddSingleton<PlatformIdentity>();
        builder.Services.AddScoped<EnvironmentConverger>();
        builder.Services.AddHostedService<ProvisioningConsumer>();
        builder.Services.AddHostedService<Reconciler>();

        builder.Services.AddSingleton<WorkspaceHttp>();
        builder.Services.AddSingleton<HealthProbes>();
        builder.Services.AddScoped<HealthMonitor>();
        builder.Services.AddSingleton<ActivityProbes>();
        builder.Services.AddScoped<IdleMonitor>();
        builder.Services.AddHostedService<HealthConsumer>();
        builder.Services.AddHostedService<HealthScheduler>();
    }
}
