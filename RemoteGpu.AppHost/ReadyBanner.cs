using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RemoteGpu.AppHost;

/// <summary>
/// Once every resource of the topology is healthy (run mode), tells the person at the console where the platform
/// answers and how to sign in as the administrator — never the password itself: a generated one stays in the
/// AppHost's user secrets. Aspire prints the dashboard's login URL itself.
/// </summary>
internal sealed partial class ReadyBanner(
    DistributedApplicationExecutionContext context,
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    ILogger<ReadyBanner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!context.IsRunMode)
        {
            return;
        }
        try
        {
            foreach (var resource in model.Resources.Where(resource => resource is ProjectResource or IResourceWithConnectionString))
            {
                await notifications.WaitForResourceHealthyAsync(resource.Name, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (DistributedApplicationException ex)
        {
            LogNotReady(logger, ex.Message);
            return;
        }

        var edge = new Uri(model.Resources.OfType<ProjectResource>().Single(resource => resource.Name == "proxy").GetEndpoint("http").Url);
        var baseDomain = await model.Resources.OfType<ParameterResource>().Single(parameter => parameter.Name == "base-domain").GetValueAsync(stoppingToken);
        var environments = string.Create(CultureInfo.InvariantCulture, $"{edge.Scheme}://env-<id>.{baseDomain}:{edge.Port}/");
        LogReady(logger, edge, environments);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message =
        "RemoteGpu is ready at {EdgeUrl} (environments at {EnvironmentUrl}). Sign in as 'admin' with the admin-password " +
        "parameter; a generated one is kept in the AppHost's user secrets: dotnet user-secrets list --project RemoteGpu.AppHost")]
    private static partial void LogReady(ILogger logger, Uri edgeUrl, string environmentUrl);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "RemoteGpu did not become ready: {Reason}")]
    private static partial void LogNotReady(ILogger logger, string reason);
}
