using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RemoteGpu.AppHost.Orchestration.Containers;

namespace RemoteGpu.AppHost.Orchestration;

internal static class OrchestrationServiceCollectionExtensions
{
    /// <summary>Run mode's services; the orchestrator is a hosted service, started and stopped with the host.</summary>
    public static IServiceCollection AddOrchestration(this IServiceCollection services)
    {
        services.AddOptions<AppHostOptions>()
            .BindConfiguration(AppHostOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromMinutes(2));
        services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ResourceNotificationService>();
        services.AddSingleton<ResourceLoggerService>();
        services.AddSingleton<PortAllocator>();
        services.AddSingleton<ProcessLauncher>();
        services.AddSingleton<HealthProbes>();
        services.AddSingleton<StateDirectory>();
        services.AddSingleton<DockerEngine>();
        services.AddSingleton(provider => ActivatorUtilities.CreateInstance<RunnerContext>(
            provider, provider.GetRequiredService<IOptions<AppHostOptions>>().Value));
        services.AddHostedService<Orchestrator>();
        return services;
    }
}
