using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Docker.DotNet;
using RemoteGpu.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RemoteGpu.Tests.AppHost;

/// <summary>
/// A topology with Aspire's dashboard, as in run mode: the services export their telemetry to it over OTLP, and
/// the dashboard's own telemetry API (authenticated with its API key) is asked for what it received.
/// </summary>
[Trait("Category", "E2E")]
public sealed class DashboardTraceTests(ITestOutputHelper output)
{
    private const string AdminPassword = "Trace-admin-pass-1";
    private const string DashboardApiKey = "trace-test-dashboard-api-key";

    [Fact]
    public async Task AnEnvironmentCreate_IsOneTraceFromTheEdgeThroughTheApiToTheWorkersDockerCalls_AndDisposeLeavesNothing()
    {
        using var docker = new DockerClientBuilder().Build();
        var before = await Leftovers.BeforeAsync(docker);
        var builder = await TestPlatform.CreateBuilderAsync(dashboard: true,
            "--Parameters:admin-password=" + AdminPassword, "--AppHost:DashboardApiKey=" + DashboardApiKey);
        var (app, startedIn) = await TestPlatform.StartAsync(builder);
        output.WriteLine($"Started with the dashboard to all-healthy in {startedIn.TotalSeconds:F1} s");
        var ports = new List<int> { app.GetEndpoint("proxy", "http").Port, app.GetEndpoint("api", "http").Port };
        try
        {
            var dashboard = await app.GetDashboardUrlAsync() ?? throw new InvalidOperationException("No dashboard URL.");
            ports.Add(dashboard.Port);
            var environmentId = await CreateEnvironmentThroughTheEdgeAsync(app);

            // The trace of that request: the edge's span, the Api's, and the Worker's converge and Docker spans under them.
            using var telemetry = new HttpClient { BaseAddress = new Uri(dashboard.GetLeftPart(UriPartial.Authority)) };
            telemetry.DefaultRequestHeaders.Add("x-api-key", DashboardApiKey);
            IReadOnlyList<Span> spans = [];
            IReadOnlyList<Span> trace = [];
            // Redis commands are exported when their profiling session is flushed, seconds after the others.
            await Poll.UntilAsync(async () =>
            {
                spans = await SpansAsync(telemetry);
                trace = TraceOf(spans, environmentId);
                return trace.Any(span => span.Service == "worker" && span.Name == "docker start")
                    && trace.Any(span => span.Service == "api" && span.Name == "XADD");
            }, TimeSpan.FromMinutes(1), "a trace of the create with the Api's XADD and the worker's docker start in it");

            var request = Assert.Single(trace, span => span.Service == "api" && span.Name.StartsWith("POST /api/environments", StringComparison.Ordinal));
            var converge = Assert.Single(trace, span => span.Service == "worker" && span.Name == "converge remotegpu:provision");
            Assert.Equal(request.SpanId, converge.ParentSpanId);
            Assert.Equal("proxy", Assert.Single(trace, span => span.SpanId == request.ParentSpanId).Service);
            Assert.Equal(request.SpanId, Assert.Single(trace, span => span.Service == "api" && span.Name == "XADD").ParentSpanId);
            Assert.Contains(trace, span => span.Service == "worker" && span.Name == "docker create" && span.ParentSpanId == converge.SpanId);
            // The worker reads its stream every second; those reads are no trace of their own (ServiceDefaults' TraceNoiseFilter).
            Assert.DoesNotContain(spans, span => span.Name is "XREADGROUP" or "XAUTOCLAIM");
            foreach (var span in trace)
            {
                output.WriteLine($"{span.Service,-7} {span.Name} ({span.SpanId} <- {span.ParentSpanId})");
            }
        }
        finally
        {
            var clock = Stopwatch.StartNew();
            await app.DisposeAsync();
            output.WriteLine($"Disposed in {clock.Elapsed.TotalSeconds:F1} s");
        }

        // Disposing stops everything it started: DCP, the dashboard, the services, the containers and their ports.
        var stopping = Stopwatch.StartNew();
        Assert.Empty(await before.WaitUntilGoneAsync(docker, TimeSpan.FromSeconds(30)));
        output.WriteLine($"Nothing of ours was left {stopping.Elapsed.TotalSeconds:F1} s after that");
        Assert.Empty(await Leftovers.ListeningPortsAsync(ports));
        await TestPlatform.RemoveDataVolumesAsync();
    }

    private static async Task<string> CreateEnvironmentThroughTheEdgeAsync(DistributedApplication app)
    {
        using var edge = new ApiClient(app.GetEndpoint("proxy", "http"));
        using (var login = await edge.LoginAsync("admin", AdminPassword))
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        }
        using (var image = await edge.PostAsync("/api/images", new { name = Environments.EnvironmentDriver.TestImage, display_name = "test" }))
        {
            Assert.True(image.IsSuccessStatusCode, await image.Content.ReadAsStringAsync());
        }
        var created = await Environments.EnvironmentDriver.CreateAsync(edge);
        var id = created.GetProperty("environment").GetProperty("id").GetString()!;
        await Environments.EnvironmentDriver.WaitForStatusAsync(edge, id, "running");
        using var deleted = await edge.DeleteAsync($"/api/environments/{id}");
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        await Environments.EnvironmentDriver.WaitForDeletedAsync(edge, id);
        return id;
    }

    /// <summary>Every span the dashboard holds, from its telemetry API (OTLP JSON).</summary>
    private static async Task<IReadOnlyList<Span>> SpansAsync(HttpClient telemetry)
    {
        using var response = await telemetry.GetAsync(new Uri("/api/telemetry/spans?limit=10000", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var spans = new List<Span>();
        foreach (var resource in body.RootElement.GetProperty("data").GetProperty("resourceSpans").EnumerateArray())
        {
            var service = resource.GetProperty("resource").GetProperty("attributes").EnumerateArray()
                .Single(attribute => attribute.GetProperty("key").GetString() == "service.name")
                .GetProperty("value").GetProperty("stringValue").GetString()!;
            foreach (var scope in resource.GetProperty("scopeSpans").EnumerateArray())
            {
                foreach (var span in scope.GetProperty("spans").EnumerateArray())
                {
                    var attributes = span.TryGetProperty("attributes", out var list)
                        ? list.EnumerateArray().ToDictionary(a => a.GetProperty("key").GetString()!, a => a.GetProperty("value").ToString())
                        : [];
                    spans.Add(new Span(service, span.GetProperty("traceId").GetString()!, span.GetProperty("spanId").GetString()!,
                        span.TryGetProperty("parentSpanId", out var parent) ? parent.GetString() : null, span.GetProperty("name").GetString()!, attributes));
                }
            }
        }
        return spans;
    }

    /// <summary>The spans of the trace in which the Worker converged <paramref name="environmentId"/> for the first time.</summary>
    private static IReadOnlyList<Span> TraceOf(IReadOnlyList<Span> spans, string environmentId)
    {
        var converge = spans.FirstOrDefault(span => span.Name == "converge remotegpu:provision"
            && span.Attributes.TryGetValue("remotegpu.environment.id", out var id) && id.Contains(environmentId, StringComparison.Ordinal));
        return converge is null ? [] : [.. spans.Where(span => span.TraceId == converge.TraceId)];
    }

    private sealed record Span(string Service, string TraceId, string SpanId, string? ParentSpanId, string Name, Dictionary<string, string> Attributes);
}
