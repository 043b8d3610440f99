using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Npgsql;
using RemoteGpu.AppHost.Hosting;
using RemoteGpu.AppHost.Orchestration;
using RemoteGpu.AppHost.Testing;
using Xunit.Abstractions;

namespace RemoteGpu.Tests.AppHost;

[Collection(AppHostCollection.Name)]
[Trait("Category", "E2E")]
public sealed class TopologyTests(AppHostFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan RestartTimeout = TimeSpan.FromMinutes(2);

    private DistributedApplication App => fixture.App;

    [Fact]
    public void EveryResourceOfProgramCs_IsHealthy_WithTheKindItRunsAs()
    {
        output.WriteLine($"Started to all-healthy in {fixture.StartedIn.TotalSeconds:F1} s");
        var snapshots = App.ResourceNotifications.GetSnapshots().ToDictionary(snapshot => snapshot.Name);

        foreach (var name in AppHostTopology.Resources)
        {
            Assert.True(snapshots[name].IsHealthy, AppHostTopology.Describe(App));
        }
        Assert.Equal(ResourceKinds.Executable, snapshots["postgres"].Kind);
        Assert.Equal(ResourceKinds.Executable, snapshots["redis"].Kind);
        Assert.Equal(ResourceKinds.Database, snapshots["remotegpu-db"].Kind);
        Assert.All(new[] { "api", "worker", "proxy" }, name => Assert.Equal(ResourceKinds.Project, snapshots[name].Kind));
        Assert.All(new[] { "admin-password", "base-domain", "postgres-password", "redis-password" },
            name => Assert.Equal(ResourceKinds.Parameter, snapshots[name].Kind));
    }

    [Fact]
    public async Task TheApi_AnswersThroughTheProxy_ForHostLocalhost()
    {
        using var proxy = App.CreateHttpClient("proxy");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/info");
        request.Headers.Host = "localhost";

        using var response = await proxy.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var info = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("RemoteGpu", info.RootElement.GetProperty("name").GetString());
        Assert.Equal("localhost", info.RootElement.GetProperty("base_domain").GetString());
    }

    [Fact]
    public async Task Services_GetTheEnvironmentAspireInjects()
    {
        var api = ReadEnvironment("api");
        var worker = ReadEnvironment("worker");
        var proxy = ReadEnvironment("proxy");

        Assert.Matches(@"^Host=127\.0\.0\.1;Port=\d+;Username=postgres;Password=[^;]+;Database=remotegpu-db$", api["ConnectionStrings__remotegpu-db"]);
        Assert.Matches(@"^127\.0\.0\.1:\d+,password=[^,]+$", api["ConnectionStrings__redis"]);
        Assert.Equal(await App.GetConnectionStringAsync("remotegpu-db"), api["ConnectionStrings__remotegpu-db"]);
        Assert.Equal(await App.GetConnectionStringAsync("redis"), worker["ConnectionStrings__redis"]);

        Assert.Equal(App.GetEndpoint("api").GetLeftPart(UriPartial.Authority), proxy["services__api__http__0"]);
        Assert.DoesNotContain("services__api__https__0", proxy.Keys); // deployment-only endpoint
        Assert.DoesNotContain("services__api__http__0", worker.Keys); // the worker does not reference the api

        Assert.Equal(App.GetEndpoint("proxy").GetLeftPart(UriPartial.Authority), proxy["ASPNETCORE_URLS"]);
        Assert.StartsWith("http://127.0.0.1:", api["ASPNETCORE_URLS"], StringComparison.Ordinal);
        foreach (var (name, environment) in new[] { ("api", api), ("worker", worker), ("proxy", proxy) })
        {
            Assert.Equal(name, environment["OTEL_SERVICE_NAME"]);
            Assert.Matches("^service.instance.id=[0-9a-f-]{36}$", environment["OTEL_RESOURCE_ATTRIBUTES"]);
            Assert.Equal("Development", environment["ASPNETCORE_ENVIRONMENT"]);
            Assert.Equal("Development", environment["DOTNET_ENVIRONMENT"]);
            Assert.Equal("localhost", environment["Platform__BaseDomain"]);
            // Only where the AppHost itself has a collector (it inherits this test run's environment).
            Assert.Equal(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"), environment.GetValueOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT"));
        }
        Assert.Equal(Parameter("admin-password").GetValue(), api["Bootstrap__AdminPassword"]);
        Assert.DoesNotContain("Bootstrap__AdminPassword", proxy.Keys);
    }

    [Fact]
    public async Task TheDatabaseConnectionString_ReachesTheCreatedDatabase()
    {
        await using var connection = new NpgsqlConnection(await App.GetConnectionStringAsync("remotegpu-db"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_database()", connection);

        Assert.Equal("remotegpu-db", await command.ExecuteScalarAsync());
    }

    [Fact]
    public void Secrets_AreOnNoCommandLine_AndNotInTheDashboardState()
    {
        var secrets = App.Model.Resources.OfType<ParameterResource>().Where(parameter => parameter.Secret).Select(parameter => parameter.GetValue()).ToList();
        Assert.Equal(3, secrets.Count);

        var commandLines = App.ResourceNotifications.GetSnapshots()
            .Where(snapshot => snapshot.ProcessId is not null)
            .Select(snapshot => File.ReadAllText($"/proc/{snapshot.ProcessId}/cmdline").Replace('\0', ' '))
            .ToList();
        Assert.Equal(5, commandLines.Count);
        var dashboardState = JsonSerializer.Serialize(App.ResourceNotifications.GetSnapshots());

        foreach (var secret in secrets)
        {
            Assert.All(commandLines, commandLine => Assert.DoesNotContain(secret, commandLine, StringComparison.Ordinal));
            Assert.DoesNotContain(secret, dashboardState, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AProjectThatCrashes_IsShownExited_AndRestartedWithItsRestartCount()
    {
        var before = App.ResourceNotifications.GetSnapshot("worker");
        using var timeout = new CancellationTokenSource(RestartTimeout);

        using (var worker = Process.GetProcessById(before.ProcessId!.Value))
        {
            worker.Kill(); // SIGKILL: a crash, as far as the AppHost can tell
        }
        var exited = await App.ResourceNotifications.WaitForResourceAsync("worker", s => s.State == KnownResourceStates.Exited, timeout.Token);
        var restarted = await App.ResourceNotifications.WaitForResourceAsync(
            "worker", s => s.IsHealthy && s.RestartCount == before.RestartCount + 1, timeout.Token);

        Assert.Equal(137, exited.ExitCode);
        Assert.NotEqual(before.ProcessId, restarted.ProcessId);
        Assert.Null(restarted.ExitCode);
    }

    private ParameterResource Parameter(string name) => (ParameterResource)App.Model.Find(name);

    private Dictionary<string, string> ReadEnvironment(string resource)
    {
        var pid = App.ResourceNotifications.GetSnapshot(resource).ProcessId;
        return File.ReadAllText($"/proc/{pid}/environ")
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1]);
    }
}
