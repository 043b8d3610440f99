using System.Diagnostics;
using Newtonsoft.Json.Linq;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.AppHost;

[Trait("Category", "Integration")]
public sealed class ManifestTests(ManifestTests.PublishedManifest published) : IClassFixture<ManifestTests.PublishedManifest>
{
    private JObject Resources => (JObject)published.Manifest["resources"]!;

    [Fact]
    public void TheManifest_IsValidAgainstTheAspireSchema()
    {
        Assert.Empty(SchemaValidation.Validate(published.Manifest, SchemaValidation.AspireManifest));
    }

    [Theory]
    [InlineData("a resource type that is not a string", """{"resources":{"pg":{"type":5,"image":"postgres:17.6"}}}""")]
    [InlineData("a container without an image", """{"resources":{"pg":{"type":"container.v0"}}}""")]
    [InlineData("a container with a property of container.v1", """{"resources":{"pg":{"type":"container.v0","image":"postgres:17.6","build":{"context":".","dockerfile":"Dockerfile"}}}}""")]
    [InlineData("a project without a path", """{"resources":{"api":{"type":"project.v0","env":{}}}}""")]
    [InlineData("a binding with an unknown transport", """{"resources":{"api":{"type":"project.v0","path":"a.csproj","bindings":{"http":{"scheme":"http","protocol":"tcp","transport":"quic"}}}}}""")]
    [InlineData("a generated parameter without minLength", """{"resources":{"p":{"type":"parameter.v0","value":"{p.inputs.value}","inputs":{"value":{"type":"string","default":{"generate":{"special":false}}}}}}}""")]
    [InlineData("no resources at all", """{"$schema":"https://json.schemastore.org/aspire-8.0.json"}""")]
    public void TheValidator_RejectsAnInvalidManifest(string what, string manifest)
    {
        Assert.True(SchemaValidation.Validate(JToken.Parse(manifest), SchemaValidation.AspireManifest).Count > 0, $"accepted {what}");
    }

    [Fact]
    public void TheManifest_DescribesTheTopology_WithTypesAzdAccepts()
    {
        var types = Resources.Properties().ToDictionary(resource => resource.Name, resource => (string)resource.Value["type"]!);

        Assert.Equal("container.v0", types["postgres"]);
        Assert.Equal("container.v0", types["redis"]);
        Assert.Equal("value.v0", types["remotegpu-db"]);
        Assert.All(new[] { "api", "worker", "proxy" }, name => Assert.Equal("project.v0", types[name]));
        Assert.All(new[] { "admin-password", "base-domain", "environment-domain", "postgres-password", "redis-password" }, name => Assert.Equal("parameter.v0", types[name]));
        // Nothing else but values Aspire derives (Redis's TLS condition): no executable, no annotated strings.
        Assert.All(types.Where(type => type.Value is not ("container.v0" or "project.v0" or "parameter.v0")), type => Assert.Equal("value.v0", type.Value));
        Assert.Equal(2, types.Values.Count(type => type == "container.v0"));
        Assert.Equal(3, types.Values.Count(type => type == "project.v0"));
        Assert.Equal(5, types.Values.Count(type => type == "parameter.v0"));

        Assert.Equal("{postgres.connectionString};Database=remotegpu-db", (string)Resources["remotegpu-db"]!["connectionString"]!);
        Assert.Equal(
            "Host={postgres.bindings.tcp.host};Port={postgres.bindings.tcp.port};Username=postgres;Password={postgres-password.value}",
            (string)Resources["postgres"]!["connectionString"]!);
        Assert.StartsWith("{redis.bindings.tcp.host}:{redis.bindings.tcp.port},password={redis-password.value}", (string)Resources["redis"]!["connectionString"]!, StringComparison.Ordinal);
    }

    [Fact]
    public void ContainerImages_AreTheOfficialOnes_NamingNoRegistryHost()
    {
        Assert.Matches(@"^library/postgres:\d+\.\d+$", (string)Resources["postgres"]!["image"]!);
        Assert.Matches(@"^library/redis:\d+\.\d+$", (string)Resources["redis"]!["image"]!);
    }

    [Fact]
    public void TheData_LivesInVolumes()
    {
        Assert.Equal("/var/lib/postgresql", (string)Resources["postgres"]!["volumes"]![0]!["target"]!);
        Assert.Equal("/data", (string)Resources["redis"]!["volumes"]![0]!["target"]!);
    }

    [Fact]
    public void ProjectPaths_AreRelativeToTheManifest_AndNameTheProjects()
    {
        foreach (var (name, project) in new[] { ("api", "RemoteGpu.Api"), ("worker", "RemoteGpu.Worker"), ("proxy", "RemoteGpu.Proxy") })
        {
            var path = (string)Resources[name]!["path"]!;
            Assert.False(Path.IsPathRooted(path), path);
            Assert.Equal(
                Path.Combine(Repository.Root, project, project + ".csproj"),
                Path.GetFullPath(Path.Combine(Path.GetDirectoryName(published.Path)!, path)));
        }
    }

    [Fact]
    public void TheProxy_IsTheOnlyExternalEndpoint_AndFindsTheApiThroughServiceDiscovery()
    {
        var external = Resources.Properties()
            .Where(resource => resource.Value["bindings"] is JObject bindings && bindings.Properties().Any(binding => (bool?)binding.Value["external"] == true))
            .Select(resource => resource.Name);

        Assert.Equal(["proxy"], external);
        var proxyEnvironment = (JObject)Resources["proxy"]!["env"]!;
        Assert.Equal("{api.bindings.http.url}", (string)proxyEnvironment["services__api__http__0"]!);
        Assert.Equal("{remotegpu-db.connectionString}", (string)proxyEnvironment["ConnectionStrings__remotegpu-db"]!);
        Assert.Equal("{redis.connectionString}", (string)proxyEnvironment["ConnectionStrings__redis"]!);
        Assert.Equal("{base-domain.value}", (string)proxyEnvironment["Platform__BaseDomain"]!);
        // The access info the Api returns opens through the edge as users reach it.
        Assert.Equal("{proxy.bindings.http.url}", (string)Resources["api"]!["env"]!["Platform__EdgeUrl"]!);
    }

    [Fact]
    public void Secrets_AreGeneratedParameters_AndOnlyReferencedElsewhere()
    {
        foreach (var name in new[] { "admin-password", "postgres-password", "redis-password" })
        {
            var input = Resources[name]!["inputs"]!["value"]!;
            Assert.True((bool)input["secret"]!);
            Assert.True((int)input["default"]!["generate"]!["minLength"]! >= 16);
        }
        Assert.Equal("{admin-password.value}", (string)Resources["api"]!["env"]!["Bootstrap__AdminPassword"]!);
        Assert.Equal("{postgres-password.value}", (string)Resources["postgres"]!["env"]!["POSTGRES_PASSWORD"]!);
        Assert.Equal("{redis-password.value}", (string)Resources["redis"]!["env"]!["REDIS_PASSWORD"]!);
        Assert.False(published.UserSecretsTouched, "publishing generated or stored parameter values");
    }

    [Fact]
    public void AzureYaml_IsValidAgainstItsSchema_AndNamesTheAppHostForContainerApps()
    {
        var azureYaml = SchemaValidation.YamlToJson(File.ReadAllText(Path.Combine(Repository.Root, "azure.yaml")));

        Assert.Empty(SchemaValidation.Validate(azureYaml, SchemaValidation.AzureYaml));
        var service = Assert.Single(((JObject)azureYaml["services"]!).Properties()).Value;
        Assert.Equal("containerapp", (string)service["host"]!);
        Assert.Equal("dotnet", (string)service["language"]!);
        Assert.True(File.Exists(Path.Combine(Repository.Root, (string)service["project"]!)));
    }

    [Fact]
    public void TheAzureYamlValidator_RejectsAServiceWithoutHost()
    {
        var invalid = SchemaValidation.YamlToJson("name: remotegpu\nservices:\n  app:\n    language: dotnet\n    project: ./RemoteGpu.AppHost/RemoteGpu.AppHost.csproj\n");

        Assert.NotEmpty(SchemaValidation.Validate(invalid, SchemaValidation.AzureYaml));
    }

    /// <summary>The manifest written by the AppHost run as a real process, as azd runs it.</summary>
    public sealed class PublishedManifest : IAsyncLifetime
    {
        private readonly string _folder = Directory.CreateTempSubdirectory("remotegpu-manifest-").FullName;

        public string Path => System.IO.Path.Combine(_folder, "out", "manifest.json");

        public JObject Manifest { get; private set; } = null!;

        /// <summary>Whether the publisher wrote user secrets (generated parameter values) under its home folder.</summary>
        public bool UserSecretsTouched => Directory.Exists(System.IO.Path.Combine(_folder, "home", ".microsoft"));

        public async Task InitializeAsync()
        {
            var startInfo = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                ArgumentList = { Repository.ServiceAssembly("RemoteGpu.AppHost"), "--publisher", "manifest", "--output-path", Path },
                Environment = { ["HOME"] = Directory.CreateDirectory(System.IO.Path.Combine(_folder, "home")).FullName },
            };
            using var process = Process.Start(startInfo)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"the AppHost exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
            Manifest = JObject.Parse(await File.ReadAllTextAsync(Path));
        }

        public Task DisposeAsync()
        {
            Directory.Delete(_folder, recursive: true);
            return Task.CompletedTask;
        }
    }
}
