using System.Globalization;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RemoteGpu.AppHost.Dashboard;
using RemoteGpu.AppHost.Orchestration.Containers;

namespace RemoteGpu.AppHost.Orchestration;

/// <summary>
/// Run mode: gives parameters their values and endpoints their ports, picks containers or the machine's
/// binaries for Postgres and Redis, starts every resource once what it waits for is healthy, prints the
/// resource table when all are healthy, and stops everything in reverse dependency order.
/// </summary>
internal sealed partial class Orchestrator(
    DistributedApplicationModel model,
    RunnerContext context,
    PortAllocator ports,
    DashboardServer dashboard,
    ILogger<Orchestrator> logger) : IHostedService, IDisposable
{
    private readonly List<ResourceRunner> _runners = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task _report = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        context.State.Create();
        var parameters = model.Resources.OfType<ParameterResource>().ToList();
        context.State.ResolveParameters(parameters);

        foreach (var endpoint in model.Resources.SelectMany(EndpointsOf).Where(endpoint => !endpoint.IsManifestOnly))
        {
            endpoint.AllocatedPort = ports.Resolve(endpoint.Port);
        }

        foreach (var resource in model.StartOrder)
        {
            if (await CreateRunnerAsync(resource, cancellationToken) is { } runner)
            {
                _runners.Add(runner);
            }
        }
        if (_runners.Any(runner => runner is ContainerRunner))
        {
            await context.Docker.RemoveOrphansAsync(cancellationToken);
        }

        // Declaration order on the dashboard.
        foreach (var resource in model.Resources)
        {
            context.Notifications.Add(_runners.SingleOrDefault(runner => runner.Resource == resource)?.InitialSnapshot
                ?? new ResourceSnapshot { Name = resource.Name, Kind = ResourceKinds.Parameter, State = KnownResourceStates.Ready });
        }
        foreach (var runner in _runners)
        {
            runner.Start();
        }
        _report = ReportWhenReadyAsync(parameters, _stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _report;

        // Reverse start order; one resource failing to stop must not leave the others running.
        var failures = new List<Exception>();
        for (var i = _runners.Count - 1; i >= 0; i--)
        {
            try
            {
                await _runners[i].StopAsync(cancellationToken);
            }
            catch (Exception ex)
            {
                failures.Add(ex);
            }
            finally
            {
                _runners[i].Dispose();
            }
        }
        _runners.Clear();
        if (failures.Count > 0)
        {
            throw new AggregateException("Some resources did not stop cleanly.", failures);
        }
        LogStopped(logger);
    }

    public void Dispose() => _stopping.Dispose();

    private static IEnumerable<ResourceEndpoint> EndpointsOf(Resource resource) => resource switch
    {
        ProjectResource project => project.Endpoints,
        ContainerResource container => [container.PrimaryEndpoint],
        _ => [],
    };

    private async Task<ResourceRunner?> CreateRunnerAsync(Resource resource, CancellationToken cancellationToken) => resource switch
    {
        ProjectResource project => new ProjectRunner(project, context),
        PostgresDatabaseResource database => new DatabaseRunner(database, context),
        ContainerResource container => await CreateBackingServiceRunnerAsync(container, cancellationToken),
        _ => null,
    };

    /// <summary>A container when an engine answers and has the image (or containers are demanded), else the machine's binaries.</summary>
    private async Task<ResourceRunner> CreateBackingServiceRunnerAsync(ContainerResource resource, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var image = (resource is PostgresServerResource ? options.Postgres.Image : options.Redis.Image) ?? resource.Image;
        var useContainer = options.ContainerRuntime switch
        {
            ContainerRuntimeMode.Docker => true,
            ContainerRuntimeMode.Auto => await context.Docker.IsAvailableAsync(cancellationToken) && await context.Docker.HasImageAsync(image, cancellationToken),
            _ => false,
        };
        if (useContainer)
        {
            return new ContainerRunner(resource, image, context);
        }
        return resource switch
        {
            PostgresServerResource postgres => new PostgresExecutableRunner(postgres, context),
            RedisResource redis => new RedisExecutableRunner(redis, context),
            _ => throw new NotSupportedException($"No way to run {resource.GetType().Name} without a container."),
        };
    }

    private async Task ReportWhenReadyAsync(IReadOnlyList<ParameterResource> parameters, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var runner in _runners)
            {
                await context.Notifications.WaitForResourceHealthyAsync(runner.Resource.Name, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (DistributedApplicationException ex)
        {
            LogNotReady(logger, ex.Message);
            return;
        }

        LogReady(logger);
        await Console.Out.WriteAsync(FormatTable(parameters));
    }

    /// <summary>The resources and their URLs, and — once, when just generated — the values an operator needs.</summary>
    private string FormatTable(IReadOnlyList<ParameterResource> parameters)
    {
        var rows = context.Notifications.GetSnapshots()
            .Where(snapshot => snapshot.Kind != ResourceKinds.Parameter)
            .Select(snapshot => (snapshot.Name, snapshot.Kind, snapshot.State, Health: snapshot.Health ?? "-",
                Endpoint: string.Join(" ", snapshot.Endpoints.Select(endpoint => endpoint.IsExternal ? $"{endpoint.Url} (external)" : endpoint.Url))))
            .ToList();
        var nameWidth = rows.Max(row => row.Name.Length) + 2;

        var table = new StringBuilder().AppendLine().AppendLine("RemoteGpu is running. Ctrl+C stops everything it started.").AppendLine();
        table.AppendLine(CultureInfo.InvariantCulture, $"  {"RESOURCE".PadRight(nameWidth)}{"KIND",-12}{"STATE",-10}{"HEALTH",-10}ENDPOINT");
        foreach (var row in rows)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"  {row.Name.PadRight(nameWidth)}{row.Kind,-12}{row.State,-10}{row.Health,-10}{row.Endpoint}");
        }
        table.AppendLine();
        if (dashboard.Url is { } url)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"  Dashboard: {url.GetLeftPart(UriPartial.Authority)}");
        }
        foreach (var parameter in parameters.Where(parameter => parameter.WasGenerated && parameter.ShowWhenGenerated))
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"  {parameter.Name} (generated, shown only this once): {parameter.GetValue()}");
        }
        return table.AppendLine().ToString();
    }

    [LoggerMessage(EventId = AppHostEventIds.ApplicationReady, Level = LogLevel.Information, Message = "Every resource is healthy")]
    private static partial void LogReady(ILogger logger);

    [LoggerMessage(EventId = AppHostEventIds.ApplicationNotReady, Level = LogLevel.Error, Message = "The application is not complete: {Reason}")]
    private static partial void LogNotReady(ILogger logger, string reason);

    [LoggerMessage(EventId = AppHostEventIds.ApplicationStopped, Level = LogLevel.Information, Message = "Stopped every resource")]
    private static partial void LogStopped(ILogger logger);
}
