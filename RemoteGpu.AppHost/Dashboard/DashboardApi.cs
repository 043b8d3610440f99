using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using RemoteGpu.AppHost.Orchestration;

namespace RemoteGpu.AppHost.Dashboard;

/// <summary>
/// <c>GET /</c>: the page. <c>GET /api/resources</c>: every resource as JSON (snake_case, as the platform's Api). <c>GET
/// /api/resources/{name}/logs</c>: its console output as server-sent events, the buffered lines first.
/// Nothing here carries a secret: snapshots hold none, and parameter values are never part of them.
/// </summary>
internal static class DashboardApi
{
    private static readonly Lazy<string> Page = new(() =>
    {
        using var stream = typeof(DashboardApi).Assembly.GetManifestResourceStream("RemoteGpu.AppHost.Dashboard.dashboard.html")
            ?? throw new InvalidOperationException("The dashboard page is not embedded in the AppHost assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static IEndpointRouteBuilder MapDashboardApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", GetPage);
        var resources = app.MapGroup("/api/resources");
        resources.MapGet("/", GetResources);
        resources.MapGet("/{name}/logs", GetLogs);
        return app;
    }

    public static ContentHttpResult GetPage() => TypedResults.Text(Page.Value, "text/html; charset=utf-8");

    public static Ok<IReadOnlyList<ResourceSnapshot>> GetResources(ResourceNotificationService notifications) =>
        TypedResults.Ok(notifications.GetSnapshots());

    public static Results<ServerSentEventsResult<LogLine>, NotFound> GetLogs(
        string name, ResourceNotificationService notifications, ResourceLoggerService logs, CancellationToken cancellationToken)
    {
        if (!notifications.GetSnapshots().Any(snapshot => snapshot.Name == name))
        {
            return TypedResults.NotFound();
        }
        return TypedResults.ServerSentEvents(FollowAsync(logs[name], cancellationToken), eventType: "log");
    }

    private static async IAsyncEnumerable<LogLine> FollowAsync(ResourceLog log, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var next = 0L;
        while (!cancellationToken.IsCancellationRequested)
        {
            foreach (var line in log.Read(next))
            {
                yield return line;
                next = line.Sequence + 1;
            }
            await log.WaitForLinesAsync(next, cancellationToken);
        }
    }
}
