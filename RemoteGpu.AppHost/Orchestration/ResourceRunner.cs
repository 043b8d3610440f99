using Microsoft.Extensions.Logging;

namespace RemoteGpu.AppHost.Orchestration;

/// <summary>
/// Runs one resource: waits until what it waits for is healthy, starts it, watches its health, restarts it
/// with backoff (1 s, 2 s, 4 s … 30 s) when it ends on its own, and stops it gracefully when asked.
/// Subclasses say how to start an instance and how to check its health.
/// </summary>
internal abstract partial class ResourceRunner : IDisposable
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ProbeIntervalUntilHealthy = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ProbeIntervalWhenHealthy = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;
    private CancellationToken _hardStop;
    private Task _run = Task.CompletedTask;

    protected ResourceRunner(Resource resource, RunnerContext context)
    {
        Resource = resource;
        Context = context;
        Log = context.Logs[resource.Name];
        _logger = context.LoggerFactory.CreateLogger($"RemoteGpu.AppHost.Resources.{resource.Name}");
    }

    public Resource Resource { get; }

    public abstract string Kind { get; }

    protected RunnerContext Context { get; }

    protected ResourceLog Log { get; }

    protected virtual IEnumerable<EndpointSnapshot> Endpoints => [];

    public ResourceSnapshot InitialSnapshot => new() { Name = Resource.Name, Kind = Kind, Endpoints = [.. Endpoints] };

    public void Start() => _run = RunAsync(_stopping.Token);

    /// <summary>Stops the resource gracefully; <paramref name="hardStop"/> turns the grace period into an immediate kill.</summary>
    public async Task StopAsync(CancellationToken hardStop)
    {
        _hardStop = hardStop;
        await _stopping.CancelAsync();
        await _run;
    }

    public void Dispose() => _stopping.Dispose();

    protected static EndpointSnapshot Snapshot(ResourceEndpoint endpoint) =>
        new(endpoint.Name, endpoint.Url.GetLeftPart(UriPartial.Authority), endpoint.IsExternal);

    protected abstract Task<IRunningInstance> StartInstanceAsync(CancellationToken cancellationToken);

    /// <summary>Throws, with the reason, while the running instance is not healthy.</summary>
    protected abstract Task CheckHealthAsync(CancellationToken cancellationToken);

    private async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            await WaitForDependenciesAsync(stopping);
        }
        catch (DistributedApplicationException ex)
        {
            Publish(s => s with { State = KnownResourceStates.FailedToStart, Reason = ex.Message });
            return;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            Publish(s => s with { State = KnownResourceStates.Stopped });
            return;
        }

        var backoff = FirstBackoff;
        for (var restarts = 0; ; restarts++)
        {
            LogStarting(_logger, Resource.Name, Kind);
            Publish(s => s with { State = KnownResourceStates.Starting, Health = null, Reason = null, RestartCount = restarts });
            IRunningInstance instance;
            try
            {
                instance = await StartInstanceAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                Publish(s => s with { State = KnownResourceStates.Stopped });
                return;
            }
            catch (Exception ex)
            {
                LogFailedToStart(_logger, Resource.Name, ex);
                Publish(s => s with { State = KnownResourceStates.FailedToStart, Reason = ex.Message });
                return;
            }

            await using (instance)
            {
                if (await RunInstanceAsync(instance, () => backoff = FirstBackoff, stopping))
                {
                    return;
                }
            }

            LogRestarting(_logger, Resource.Name, backoff.TotalSeconds);
            try
            {
                await Task.Delay(backoff, Context.Time, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                Publish(s => s with { State = KnownResourceStates.Stopped });
                return;
            }
            backoff = backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff;
        }
    }

    /// <summary>Watches a started instance until it ends (false: restart it) or the resource is stopped (true).</summary>
    private async Task<bool> RunInstanceAsync(IRunningInstance instance, Action onHealthy, CancellationToken stopping)
    {
        Publish(s => s with { State = KnownResourceStates.Running, ExitCode = null, ProcessId = instance.ProcessId, ContainerId = instance.ContainerId });

        using var monitoring = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var health = MonitorHealthAsync(onHealthy, monitoring.Token);
        try
        {
            var exitCode = await instance.Exited.WaitAsync(stopping);
            await monitoring.CancelAsync();
            await health;
            LogExited(_logger, Resource.Name, exitCode);
            Publish(s => s with { State = KnownResourceStates.Exited, ExitCode = exitCode, Health = null });
            return false;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await health;
            LogStopping(_logger, Resource.Name);
            Publish(s => s with { State = KnownResourceStates.Stopping });
            if (await instance.StopAsync(Context.StopTimeout, _hardStop))
            {
                LogKilled(_logger, Resource.Name, Context.StopTimeout.TotalSeconds);
            }
            Publish(s => s with { State = KnownResourceStates.Stopped, Health = null, ExitCode = instance.Exited.Result });
            return true;
        }
    }

    private async Task WaitForDependenciesAsync(CancellationToken cancellationToken)
    {
        var dependencies = Resource.StartsAfter.ToList();
        if (dependencies.Count == 0)
        {
            return;
        }
        Publish(s => s with { State = KnownResourceStates.Waiting });
        foreach (var dependency in dependencies)
        {
            await Context.Notifications.WaitForResourceHealthyAsync(dependency.Name, cancellationToken);
        }
    }

    private async Task MonitorHealthAsync(Action onHealthy, CancellationToken cancellationToken)
    {
        var wasHealthy = false;
        while (true)
        {
            string? reason = null;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(ProbeTimeout);
                await CheckHealthAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                reason = ex is OperationCanceledException ? $"The health check took longer than {ProbeTimeout.TotalSeconds} s." : ex.Message;
            }

            var healthy = reason is null;
            Publish(s => s with { Health = healthy ? HealthStates.Healthy : HealthStates.Unhealthy, Reason = reason });
            if (healthy && !wasHealthy)
            {
                LogHealthy(_logger, Resource.Name);
                onHealthy();
            }
            wasHealthy = healthy;

            try
            {
                await Task.Delay(healthy ? ProbeIntervalWhenHealthy : ProbeIntervalUntilHealthy, Context.Time, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private void Publish(Func<ResourceSnapshot, ResourceSnapshot> update) => Context.Notifications.Update(Resource.Name, update);

    [LoggerMessage(EventId = AppHostEventIds.ResourceStarting, Level = LogLevel.Debug, Message = "Starting {Resource} ({Kind})")]
    private static partial void LogStarting(ILogger logger, string resource, string kind);

    [LoggerMessage(EventId = AppHostEventIds.ResourceHealthy, Level = LogLevel.Information, Message = "{Resource} is healthy")]
    private static partial void LogHealthy(ILogger logger, string resource);

    [LoggerMessage(EventId = AppHostEventIds.ResourceExited, Level = LogLevel.Warning, Message = "{Resource} exited with code {ExitCode}")]
    private static partial void LogExited(ILogger logger, string resource, int exitCode);

    [LoggerMessage(EventId = AppHostEventIds.ResourceRestarting, Level = LogLevel.Information, Message = "Restarting {Resource} in {Seconds} s")]
    private static partial void LogRestarting(ILogger logger, string resource, double seconds);

    [LoggerMessage(EventId = AppHostEventIds.ResourceFailedToStart, Level = LogLevel.Error, Message = "{Resource} failed to start")]
    private static partial void LogFailedToStart(ILogger logger, string resource, Exception exception);

    [LoggerMessage(EventId = AppHostEventIds.ResourceStopping, Level = LogLevel.Debug, Message = "Stopping {Resource}")]
    private static partial void LogStopping(ILogger logger, string resource);

    [LoggerMessage(EventId = AppHostEventIds.ResourceKilled, Level = LogLevel.Warning, Message = "{Resource} did not stop within {Seconds} s and was killed")]
    private static partial void LogKilled(ILogger logger, string resource, double seconds);
}
