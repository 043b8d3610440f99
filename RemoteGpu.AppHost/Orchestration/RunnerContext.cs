using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RemoteGpu.AppHost.Orchestration.Containers;

namespace RemoteGpu.AppHost.Orchestration;

/// <summary>What every <see cref="ResourceRunner"/> shares.</summary>
internal sealed record RunnerContext(
    ResourceNotificationService Notifications,
    ResourceLoggerService Logs,
    ProcessLauncher Launcher,
    HealthProbes Probes,
    StateDirectory State,
    DockerEngine Docker,
    AppHostOptions Options,
    IHostEnvironment Environment,
    IConfiguration Configuration,
    TimeProvider Time,
    ILoggerFactory LoggerFactory)
{
    /// <summary>Names this run's containers (<c>remotegpu.apphost.session</c> label).</summary>
    public string SessionId { get; } = Guid.NewGuid().ToString("N");

    public TimeSpan StopTimeout => TimeSpan.FromSeconds(Options.StopTimeoutSeconds);
}
