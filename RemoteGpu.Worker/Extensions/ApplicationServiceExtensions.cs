using RemoteGpu.Core.Data;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Identity;
using RemoteGpu.Core.Options;
using RemoteGpu.Core.Provisioning;
using RemoteGpu.Worker.Health;
using RemoteGpu.Worker.Provisioning;
using RemoteGpu.Worker.Runtime.Docker;

namespace RemoteGpu.Worker.Extensions;

internal static class ApplicationServiceExtensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<RemoteGpuDbContext>(RemoteGpuDbContext.ConnectionName);
        builder.AddRedisClient("redis");
        builder.AddPlatformDataProtection();
        builder.AddDockerRuntime();
        builder.Services.AddHealthChecks()
            .AddCheck<SchemaHealthCheck>(SchemaHealthCheck.Name)
            .AddCheck<DockerHealthCheck>("docker");

        builder.Services.AddOptions<PlatformOptions>().BindConfiguration(PlatformOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<WorkspaceOptions>().BindConfiguration(WorkspaceOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<ProvisioningOptions>().BindConfiguration(ProvisioningOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        builder.Services.AddSingleton<ProvisioningQueue>();
        builder.Services.AddSingleton<SshProbe>();
        builder.Services.AddScoped<EnvironmentConverger>();
        builder.Services.AddHostedService<ProvisioningConsumer>();
        builder.Services.AddHostedService<Reconciler>();
    }
}
