using System.Globalization;
using System.Net;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Docker.DotNet;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using RemoteGpu.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RemoteGpu.Tests.AppHost;

/// <summary>The topology of RemoteGpu.AppHost's Program.cs as Aspire runs it, seen through the shared platform.</summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class TopologyTests(PlatformFixture platform, ITestOutputHelper output)
{
    private DistributedApplication App => platform.App;

    [Fact]
    public async Task EveryResource_IsHealthy_PostgresAndRedisRunFromTheStandInImagesOnLoopback()
    {
        output.WriteLine($"Started to all-healthy in {platform.StartedIn.TotalSeconds:F1} s");
        foreach (var name in TestPlatform.Resources)
        {
            Assert.True(App.Snapshot(name).HealthStatus == HealthStatus.Healthy, await TestPlatform.DescribeAsync(App));
        }

        using var docker = new DockerClientBuilder().Build();
        foreach (var (name, image) in new[] { ("postgres", "remotegpu/postgres-test:latest"), ("redis", "remotegpu/redis-test:latest") })
        {
            var container = await docker.Containers.InspectContainerAsync(App.Snapshot(name).ContainerId());
            Assert.True(container.State!.Running);
            Assert.Equal(image, container.Config!.Image);
            Assert.NotEmpty(container.HostConfig!.PortBindings.SelectMany(binding => binding.Value));
            Assert.All(container.HostConfig.PortBindings.SelectMany(binding => binding.Value), binding => Assert.Equal("127.0.0.1", binding.HostIP));
        }
        foreach (var name in TestPlatform.Projects)
        {
            Assert.True(Directory.Exists($"/proc/{App.Snapshot(name).ProcessId()}"), $"{name}'s process is gone");
        }
    }

    [Fact]
    public async Task TheApi_AnswersThroughTheProxy_ForHostLocalhost()
    {
        using var proxy = App.CreateHttpClient("proxy", "http");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/info");
        request.Headers.Host = "localhost";

        using var response = await proxy.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var info = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("RemoteGpu", info.RootElement.GetProperty("name").GetString());
        Assert.Equal("localhost", info.RootElement.GetProperty("base_domain").GetString());
    }

    [Fact]
    public async Task Services_GetTheEnvironmentTheAppHostWrites()
    {
        var api = ReadEnvironment("api");
        var worker = ReadEnvironment("worker");
        var proxy = ReadEnvironment("proxy");
        var database = await App.GetConnectionStringAsync("remotegpu-db");
        var redis = await App.GetConnectionStringAsync("redis");
        var apiEndpoint = App.GetEndpoint("api", "http");
        var edge = App.GetEndpoint("proxy", "http");

        foreach (var (name, environment) in new[] { ("api", api), ("worker", worker), ("proxy", proxy) })
        {
            Assert.Equal(database, environment["ConnectionStrings__remotegpu-db"]);
            Assert.Equal(redis, environment["ConnectionStrings__redis"]);
            Assert.Equal("localhost", environment["Platform__BaseDomain"]);
            // A reference brings its connection string and service-discovery entries only, not its password again.
            Assert.DoesNotContain(environment.Keys, key => key.EndsWith("_PASSWORD", StringComparison.Ordinal) || key.EndsWith("_URI", StringComparison.Ordinal));
            // No dashboard in this topology: no collector, so no telemetry (ServiceDefaults).
            Assert.False(environment.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT"), name);
        }
        Assert.Equal(apiEndpoint.GetLeftPart(UriPartial.Authority), new Uri(proxy["services__api__http__0"]).GetLeftPart(UriPartial.Authority));
        Assert.DoesNotContain("services__api__http__0", worker.Keys); // the worker does not reference the api

        // The edge listens on its public port itself (not proxied by DCP), and the Api hands out URLs on it.
        Assert.Equal($"http://localhost:{edge.Port.ToString(CultureInfo.InvariantCulture)}", proxy["ASPNETCORE_URLS"]);
        Assert.Equal(edge.Port, new Uri(api["Platform__EdgeUrl"]).Port);

        Assert.Equal(PlatformFixture.AdminPassword, api["Bootstrap__AdminPassword"]);
        Assert.DoesNotContain("Bootstrap__AdminPassword", proxy.Keys);
        Assert.DoesNotContain("Bootstrap__AdminPassword", worker.Keys);
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
    public async Task Secrets_AreOnNoCommandLine()
    {
        var model = App.Services.GetRequiredService<DistributedApplicationModel>().Resources;
        var secrets = new List<string>();
        foreach (var parameter in model.OfType<ParameterResource>().Where(p => p.Secret)
            .Append(model.OfType<PostgresServerResource>().Single().PasswordParameter)
            .Append(model.OfType<RedisResource>().Single().PasswordParameter!))
        {
            secrets.Add((await parameter.GetValueAsync(CancellationToken.None))!);
        }
        Assert.Equal(3, secrets.Distinct().Count()); // admin-password, postgres-password, redis-password

        var commandLines = new List<string>();
        foreach (var name in TestPlatform.Projects)
        {
            var pid = App.Snapshot(name).ProcessId();
            commandLines.AddRange(new[] { pid }.Concat(ProcessTree.ChildrenOf(pid)).Select(ProcessTree.CommandLine));
        }
        using var docker = new DockerClientBuilder().Build();
        foreach (var name in new[] { "postgres", "redis" })
        {
            var container = await docker.Containers.InspectContainerAsync(App.Snapshot(name).ContainerId());
            commandLines.Add(string.Join(' ', [container.Path, .. container.Args]));
        }

        Assert.True(commandLines.Count >= 8, string.Join('\n', commandLines));
        foreach (var secret in secrets)
        {
            Assert.All(commandLines, commandLine => Assert.DoesNotContain(secret, commandLine, StringComparison.Ordinal));
        }
    }

    /// <summary>The environment DCP gave the resource's process (<c>dotnet run</c>; the service inherits it).</summary>
    private Dictionary<string, string> ReadEnvironment(string resource) =>
        File.ReadAllText($"/proc/{App.Snapshot(resource).ProcessId()}/environ")
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1]);
}
