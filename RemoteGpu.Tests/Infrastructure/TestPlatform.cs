using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RemoteGpu.Tests.Infrastructure;

/// <summary>
/// The AppHost of Program.cs started through Aspire.Hosting.Testing, as every platform test starts it: Postgres and
/// Redis from the locally built stand-in images, data volumes of its own (a clean start; <see cref="RemoveDataVolumesAsync"/>
/// removes them), the edge on a free port.
/// </summary>
internal static class TestPlatform
{
    /// <summary>Test topologies name their data volumes <c>remotegpu-test-&lt;8 hex&gt;-{postgres,redis}-data</c>.</summary>
    public const string DataVolumePrefix = "remotegpu-test-";

    /// <summary>Every resource of Program.cs that runs (parameters aside).</summary>
    public static readonly string[] Resources = ["postgres", "remotegpu-db", "redis", "api", "worker", "proxy"];

    /// <summary>The services, which run as processes.</summary>
    public static readonly string[] Projects = ["api", "worker", "proxy"];

    private static readonly TimeSpan VolumeRemovalTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Generous for a 2-core machine building nothing: a start takes 25–40 s there.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    /// <summary>The AppHost's settings for a test run (RemoteGpu.AppHost's AppHostSettings), before the caller's own.</summary>
    public static string[] Arguments(int edgePort, params string[] extra) =>
    [
        "--RemoteGpu:StandInImages=true",
        "--RemoteGpu:DataVolumes=" + DataVolumePrefix + Guid.NewGuid().ToString("N")[..8],
        "--RemoteGpu:EdgePort=" + edgePort.ToString(CultureInfo.InvariantCulture),
        .. extra,
    ];

    public static async Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync(bool dashboard, params string[] extra)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.RemoteGpu_AppHost>(
            new DistributedApplicationTestingBuilderOptions { EnableDashboard = dashboard }, Arguments(Ports.Free(), extra));
        builder.Services.AddLogging(logging => logging
            // Every resource's console, forwarded to the test host's: read through LogAsync where a test needs it.
            .AddFilter("RemoteGpu.AppHost.Resources", LogLevel.None)
            // Probes fail, as they should, until each resource is up.
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None)
            .AddFilter("System.Net.Http.HttpClient", LogLevel.Warning));
        if (!dashboard)
        {
            // Aspire names its default OTLP endpoint even with the dashboard off: the services would trace every
            // request to export it nowhere. Without a collector they instrument nothing (ServiceDefaults).
            foreach (var project in builder.Resources.OfType<ProjectResource>())
            {
                builder.CreateResourceBuilder(project).WithEnvironment(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
            }
        }
        return builder;
    }

    /// <summary>Builds and starts the topology and waits until every resource is healthy; returns it with the time that took.</summary>
    public static async Task<(DistributedApplication App, TimeSpan StartedIn)> StartAsync(IDistributedApplicationTestingBuilder builder)
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var app = await builder.BuildAsync(timeout.Token);
        try
        {
            var clock = Stopwatch.StartNew();
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
            throw new TimeoutException($"The topology did not become healthy: {ex.Message}\n{await DescribeAsync(app)}", ex);
        }
    }

    /// <summary>
    /// Removes the data volumes of test topologies once stopped. Docker refuses while a container holds one, and DCP
    /// removes a stopped topology's containers some seconds after it returns: a refused volume is tried again, for
    /// <see cref="VolumeRemovalTimeout"/>.
    /// </summary>
    public static async Task RemoveDataVolumesAsync()
    {
        using var docker = new DockerClientBuilder().Build();
        var volumes = await docker.Volumes.ListAsync(new VolumesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [DataVolumePrefix] = true } },
        });
        var clock = Stopwatch.StartNew();
        foreach (var volume in (volumes.Volumes ?? []).Where(volume => volume.Name.StartsWith(DataVolumePrefix, StringComparison.Ordinal)))
        {
            while (true)
            {
                try
                {
                    await docker.Volumes.RemoveAsync(volume.Name, force: false);
                    break;
                }
                catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.Conflict && clock.Elapsed < VolumeRemovalTimeout)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250));
                }
            }
        }
    }

    public static CustomResourceSnapshot Snapshot(this DistributedApplication app, string resource) => app.State(resource).Snapshot;

    private static ResourceEvent State(this DistributedApplication app, string resource) =>
        app.ResourceNotifications.TryGetCurrentState(resource, out var state)
            ? state
            : throw new InvalidOperationException($"No resource named {resource}.");

    /// <summary>A property of a resource's snapshot (<c>executable.pid</c>, <c>container.id</c>), or null.</summary>
    public static string? Property(this CustomResourceSnapshot snapshot, string name) =>
        snapshot.Properties.FirstOrDefault(property => property.Name == name)?.Value?.ToString();

    /// <summary>The process DCP started for a project (<c>dotnet run</c>, whose child is the service).</summary>
    public static int ProcessId(this CustomResourceSnapshot snapshot) =>
        int.Parse(snapshot.Property("executable.pid") ?? throw new InvalidOperationException("The resource has no process."), CultureInfo.InvariantCulture);

    public static string ContainerId(this CustomResourceSnapshot snapshot) =>
        snapshot.Property("container.id") ?? throw new InvalidOperationException("The resource has no container.");

    /// <summary>Every line <paramref name="resource"/> has printed so far.</summary>
    public static async Task<IReadOnlyList<string>> LogAsync(this DistributedApplication app, string resource)
    {
        var lines = new List<string>();
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        // Kept by resource id (api-xkcd1234), which differs from the name.
        await foreach (var batch in logs.GetAllAsync(app.State(resource).ResourceId))
        {
            lines.AddRange(batch.Select(line => line.Content));
        }
        return lines;
    }

    /// <summary>Every resource's state, and the last console lines of those not healthy.</summary>
    public static async Task<string> DescribeAsync(DistributedApplication app)
    {
        var text = new StringBuilder();
        foreach (var name in Resources)
        {
            var snapshot = app.Snapshot(name);
            text.AppendLine(CultureInfo.InvariantCulture, $"{name}: {snapshot.State?.Text}/{snapshot.HealthStatus?.ToString() ?? "-"} exit={snapshot.ExitCode}");
            if (snapshot.HealthStatus != Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy)
            {
                foreach (var line in (await app.LogAsync(name)).TakeLast(30))
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"    | {line}");
                }
            }
        }
        return text.ToString();
    }
}
