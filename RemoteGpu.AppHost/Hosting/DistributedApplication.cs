using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RemoteGpu.AppHost.Orchestration;
using RemoteGpu.AppHost.Publishing;

namespace RemoteGpu.AppHost.Hosting;

/// <summary>
/// The built application (Aspire's <c>DistributedApplication</c>). <see cref="Run"/> either writes the manifest
/// (publish mode) or starts every resource and serves the dashboard until Ctrl+C or SIGTERM.
/// </summary>
public sealed class DistributedApplication : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly bool _isPublishMode;
    private bool _started;

    internal DistributedApplication(IHost host, DistributedApplicationModel model, bool isPublishMode)
    {
        _host = host;
        Model = model;
        _isPublishMode = isPublishMode;
    }

    public IServiceProvider Services => _host.Services;

    public ResourceNotificationService ResourceNotifications => Services.GetRequiredService<ResourceNotificationService>();

    public ResourceLoggerService ResourceLogs => Services.GetRequiredService<ResourceLoggerService>();

    internal DistributedApplicationModel Model { get; }

    /// <summary>Set by the testing builder: <c>Run()</c> in Program.cs returns at once and the test starts the app.</summary>
    internal bool IsCapturedForTesting { get; set; }

    /// <summary>The testing builder's state folder, deleted once everything has stopped.</summary>
    internal string? TemporaryStateDirectory { get; set; }

    public static DistributedApplicationBuilder CreateBuilder(string[] args) => new(args);

    public void Run() => RunAsync().GetAwaiter().GetResult();

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (IsCapturedForTesting)
        {
            return;
        }
        if (_isPublishMode)
        {
            await PublishAsync(cancellationToken);
            return;
        }
        await _host.RunAsync(cancellationToken);
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        _started = true;
        await _host.StartAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _started = false;
        await _host.StopAsync(cancellationToken);
    }

    /// <summary>Stops everything still running, then releases the host (and a testing state folder).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await StopAsync();
        }
        if (_host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else
        {
            _host.Dispose();
        }
        if (TemporaryStateDirectory is not null && Directory.Exists(TemporaryStateDirectory))
        {
            Directory.Delete(TemporaryStateDirectory, recursive: true);
        }
    }

    private async Task PublishAsync(CancellationToken cancellationToken)
    {
        var configuration = Services.GetRequiredService<IConfiguration>();
        var publisher = configuration["Publishing:Publisher"];
        if (publisher != "manifest")
        {
            throw new InvalidOperationException($"Unknown publisher '{publisher}': the only one is 'manifest'.");
        }
        var outputPath = configuration["Publishing:OutputPath"];
        if (string.IsNullOrWhiteSpace(outputPath))
        {
            throw new InvalidOperationException("Publishing a manifest needs --output-path <file>.");
        }

        var logger = Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ManifestPublisher).FullName!);
        await ManifestPublisher.WriteAsync(Model, Path.GetFullPath(outputPath), logger, cancellationToken);
    }
}
