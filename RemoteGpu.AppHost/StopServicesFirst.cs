using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RemoteGpu.AppHost;

/// <summary>
/// Stops the services before everything else. When the AppHost stops, DCP stops every resource at once: the services
/// would shut down while Postgres, Redis and the dashboard they flush telemetry to vanish under them, wait out
/// connection and export timeouts (10 s and more), and be killed after DCP's grace — never a clean stop. Here they get
/// SIGTERM first (through their <c>dotnet run</c>, which passes it on) and are waited for, with their dependencies
/// still up; then the AppHost stops and DCP removes the rest. Run mode on Linux and macOS only.
/// </summary>
internal sealed partial class StopServicesFirst(
    DistributedApplicationExecutionContext context,
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    ILogger<StopServicesFirst> logger) : IHostedLifecycleService
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (!context.IsRunMode || OperatingSystem.IsWindows())
        {
            return;
        }
        var running = new List<Process>();
        foreach (var project in model.Resources.OfType<ProjectResource>())
        {
            if (notifications.TryGetCurrentState(project.Name, out var state)
                && state.Snapshot.Properties.FirstOrDefault(property => property.Name == "executable.pid")?.Value is { } value
                && int.TryParse(value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && TryGetProcess(pid) is { } process)
            {
                running.Add(process);
            }
        }
        if (running.Count == 0)
        {
            return;
        }

        var clock = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", .. running.Select(process => process.Id.ToString(CultureInfo.InvariantCulture))]))
        {
            await kill.WaitForExitAsync(cancellationToken);
        }
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        grace.CancelAfter(Grace);
        try
        {
            await Task.WhenAll(running.Select(process => process.WaitForExitAsync(grace.Token)));
            LogStopped(logger, running.Count, clock.Elapsed.TotalSeconds);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogStillRunning(logger, Grace.TotalSeconds);
        }
        finally
        {
            running.ForEach(process => process.Dispose());
        }
    }

    private static Process? TryGetProcess(int pid)
    {
        try
        {
            return Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            return null; // Gone already.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Stopped the {Count} services in {Seconds:F1} s, before their dependencies")]
    private static partial void LogStopped(ILogger logger, int count, double seconds);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Services still running {Seconds} s after SIGTERM; DCP stops them with the rest")]
    private static partial void LogStillRunning(ILogger logger, double seconds);
}
