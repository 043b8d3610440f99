
namespace RemoteGpu.AppHost.Orchestration;

/// <summary>
/// Runs a project from its build output, as <c>dotnet run</c> would (working directory = the project folder),
/// with the environment contract of DESIGN.md §3; healthy when <c>GET /health</c> answers 200.
/// </summary>
internal sealed class ProjectRunner(ProjectResource project, RunnerContext context) : ResourceRunner(project, context)
{
    private readonly string _instanceId = Guid.NewGuid().ToString();

    public override string Kind => ResourceKinds.Project;

    private ResourceEndpoint Http => project.GetEndpoint("http");

    protected override IEnumerable<EndpointSnapshot> Endpoints =>
        project.Endpoints.Where(endpoint => !endpoint.IsManifestOnly).Select(endpoint => endpoint.IsExternal
            // What a person opens: the edge routes the host name localhost.
            ? new EndpointSnapshot(endpoint.Name, $"{endpoint.Scheme}://localhost:{endpoint.RequireAllocatedPort()}", IsExternal: true)
            : Snapshot(endpoint));

    protected override async Task<IRunningInstance> StartInstanceAsync(CancellationToken cancellationToken)
    {
        var projectDirectory = Path.GetDirectoryName(project.ProjectPath)!;
        var assembly = Path.Combine(
            projectDirectory, "bin", AppHostMetadata.Configuration, AppHostMetadata.TargetFramework,
            Path.GetFileNameWithoutExtension(project.ProjectPath) + ".dll");
        if (!File.Exists(assembly))
        {
            throw new FileNotFoundException(
                $"{assembly} does not exist. Build the AppHost (dotnet build RemoteGpu.AppHost -c {AppHostMetadata.Configuration}): it builds the projects it starts.",
                assembly);
        }

        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var spec = new ProcessSpec(dotnet, [assembly], projectDirectory) { Environment = BuildEnvironment() };
        return await Context.Launcher.StartAsync(spec, Log);
    }

    protected override Task CheckHealthAsync(CancellationToken cancellationToken) =>
        Context.Probes.CheckHttpAsync(new Uri(Http.Url, "/health"), cancellationToken);

    /// <summary>What Aspire injects into a project, and all that services may rely on.</summary>
    private Dictionary<string, string> BuildEnvironment()
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = Http.Url.GetLeftPart(UriPartial.Authority),
            ["ASPNETCORE_ENVIRONMENT"] = Context.Environment.EnvironmentName,
            ["DOTNET_ENVIRONMENT"] = Context.Environment.EnvironmentName,
            ["OTEL_SERVICE_NAME"] = project.Name,
            ["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={_instanceId}",
        };
        foreach (var (name, value) in ProjectResource.OtelDefaults)
        {
            environment[name] = value;
        }
        // Only where the AppHost itself has a collector: there is none here by default.
        if (Context.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 } otlp)
        {
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp;
        }
        foreach (var entry in project.Environment.Where(entry => !entry.ManifestOnly))
        {
            environment[entry.Name] = entry.Value.GetValue();
        }
        return environment;
    }
}
