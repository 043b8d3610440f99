using System.Diagnostics;
using System.Text;
using RemoteGpu.AppHost.Hosting;
using RemoteGpu.AppHost.Orchestration;
using RemoteGpu.AppHost.Testing;

namespace RemoteGpu.Tests.AppHost;

/// <summary>Starting the AppHost's topology through its testing entry point, and saying why when it does not come up.</summary>
internal static class AppHostTopology
{
    /// <summary>Every resource of Program.cs that runs (parameters aside).</summary>
    public static readonly string[] Resources = ["postgres", "remotegpu-db", "redis", "api", "worker", "proxy"];

    /// <summary>Generous for a 2-core machine building nothing: a cold start takes 15–30 s there.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    /// <summary>Builds and starts the topology, and waits until every resource is healthy; returns it with the time that took.</summary>
    public static async Task<(DistributedApplication App, TimeSpan StartedIn)> StartAsync(params string[] args)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync(args);
        var app = await builder.BuildAsync();
        try
        {
            var clock = Stopwatch.StartNew();
            using var timeout = new CancellationTokenSource(StartTimeout);
            await app.StartAsync(timeout.Token);
            await WaitForAllHealthyAsync(app, timeout.Token);
            return (app, clock.Elapsed);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public static async Task WaitForAllHealthyAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var name in Resources)
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(name, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or DistributedApplicationException)
        {
            throw new TimeoutException($"The topology did not become healthy: {ex.Message}\n{Describe(app)}", ex);
        }
    }

    /// <summary>Every resource's state, and the last console lines of those not healthy.</summary>
    public static string Describe(DistributedApplication app)
    {
        var text = new StringBuilder();
        foreach (var snapshot in app.ResourceNotifications.GetSnapshots())
        {
            text.AppendLine($"{snapshot.Name} ({snapshot.Kind}): {snapshot.State}/{snapshot.Health ?? "-"} restarts={snapshot.RestartCount} exit={snapshot.ExitCode} {snapshot.Reason}");
            if (snapshot.Kind != ResourceKinds.Parameter && !snapshot.IsHealthy)
            {
                foreach (var line in app.ResourceLogs[snapshot.Name].Read().TakeLast(30))
                {
                    text.AppendLine($"    | {line.Text}");
                }
            }
        }
        return text.ToString();
    }

    /// <summary>PIDs and loopback ports of everything running now.</summary>
    public static (IReadOnlyList<int> Pids, IReadOnlyList<int> Ports) ProcessesAndPorts(IEnumerable<ResourceSnapshot> snapshots)
    {
        var list = snapshots.ToList();
        return (
            [.. list.Where(s => s.ProcessId is not null).Select(s => s.ProcessId!.Value)],
            [.. list.SelectMany(s => s.Endpoints).Select(e => new Uri(e.Url).Port)]);
    }
}
