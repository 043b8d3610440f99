using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RemoteGpu.AppHost.Dashboard;
using RemoteGpu.AppHost.Orchestration;
using RemoteGpu.AppHost.Testing;

namespace RemoteGpu.AppHost.Hosting;

/// <summary>
/// Declares the application (Aspire's <c>IDistributedApplicationBuilder</c>). Configuration comes from
/// appsettings.json, environment variables and the command line, where <c>--publisher manifest
/// --output-path &lt;file&gt;</c> selects publish mode as with Aspire.
/// </summary>
public sealed class DistributedApplicationBuilder
{
    private static readonly Dictionary<string, string> SwitchMappings = new()
    {
        ["--publisher"] = "Publishing:Publisher",
        ["--output-path"] = "Publishing:OutputPath",
    };

    private readonly HostApplicationBuilder _host;
    private readonly List<Resource> _resources = [];
    private readonly DistributedApplicationTestingHook? _testing = DistributedApplicationTestingHook.Current;

    internal DistributedApplicationBuilder(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);

        AppHostDirectory = AppHostMetadata.ProjectDirectory;
        var settings = new HostApplicationBuilderSettings
        {
            Args = args,
            ApplicationName = typeof(DistributedApplicationBuilder).Assembly.GetName().Name,
            ContentRootPath = Directory.Exists(AppHostDirectory) ? AppHostDirectory : AppContext.BaseDirectory,
        };
        _testing?.ConfigureSettings(settings);

        _host = Host.CreateApplicationBuilder(settings);
        _host.Configuration.AddCommandLine(args, SwitchMappings);
        _testing?.ConfigureConfiguration(_host.Configuration);
    }

    public ConfigurationManager Configuration => _host.Configuration;

    public IHostEnvironment Environment => _host.Environment;

    public IServiceCollection Services => _host.Services;

    /// <summary>The AppHost's project folder; project paths are relative to it.</summary>
    public string AppHostDirectory { get; }

    public IReadOnlyList<IResource> Resources => _resources;

    internal bool IsPublishMode => !string.IsNullOrEmpty(Configuration["Publishing:Publisher"]);

    public IResourceBuilder<T> AddResource<T>(T resource)
        where T : Resource
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (_resources.Any(existing => existing.Name == resource.Name))
        {
            throw new InvalidOperationException($"A resource named '{resource.Name}' already exists.");
        }
        _resources.Add(resource);
        return new ResourceBuilder<T>(this, resource);
    }

    public DistributedApplication Build()
    {
        var model = new DistributedApplicationModel(_resources);
        _host.Services.AddSingleton(model);
        if (!IsPublishMode)
        {
            _host.Services.AddOrchestration();
            _host.Services.AddDashboard();
        }

        var app = new DistributedApplication(_host.Build(), model, IsPublishMode);
        _testing?.Capture(app);
        return app;
    }
}
