using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RemoteGpu.AppHost.Orchestration;

namespace RemoteGpu.AppHost.Dashboard;

/// <summary>
/// Serves the dashboard on http://localhost:18888 (<c>AppHost:Dashboard:Port</c>; 0 = a free port): a small web
/// application of its own, as Aspire's dashboard is, sharing the AppHost's resource state and logs.
/// </summary>
internal sealed partial class DashboardServer(
    IOptions<AppHostOptions> options,
    ResourceNotificationService notifications,
    ResourceLoggerService logs,
    PortAllocator ports,
    IHostEnvironment environment,
    ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>Where the dashboard listens; <c>null</c> when it is disabled or not started.</summary>
    public Uri? Url { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value.Dashboard;
        if (!settings.Enabled)
        {
            return;
        }

        var port = ports.Resolve(settings.Port);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DashboardServer).Assembly.GetName().Name,
            EnvironmentName = environment.EnvironmentName,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(notifications);
        builder.Services.AddSingleton(logs);
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenLocalhost(port));

        _app = builder.Build();
        _app.MapDashboardApi();
        await _app.StartAsync(cancellationToken);

        Url = new Uri($"http://localhost:{port}", UriKind.Absolute);
        var logger = loggerFactory.CreateLogger<DashboardServer>();
        LogListening(logger, Url);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [LoggerMessage(EventId = AppHostEventIds.DashboardListening, Level = LogLevel.Information, Message = "Dashboard: {Url}")]
    private static partial void LogListening(ILogger logger, Uri url);
}

internal static class DashboardServiceCollectionExtensions
{
    public static IServiceCollection AddDashboard(this IServiceCollection services)
    {
        services.AddSingleton<DashboardServer>();
        services.AddHostedService(provider => provider.GetRequiredService<DashboardServer>());
        return services;
    }
}
