using System.Globalization;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace RemoteGpu.AppHost.Orchestration.Containers;

/// <summary>
/// The Docker engine at DOCKER_HOST, the current Docker context, or unix:///var/run/docker.sock — if one answers.
/// The AppHost never starts an engine itself.
/// </summary>
internal sealed partial class DockerEngine(ILogger<DockerEngine> logger) : IDisposable
{
    public const string SessionLabel = "remotegpu.apphost.session";
    public const string ResourceLabel = "remotegpu.apphost.resource";
    public const string OwnerLabel = "remotegpu.apphost.pid";

    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(3);

    private readonly Lazy<DockerClient> _client = new(() => new DockerClientBuilder().Build());
    private readonly SemaphoreSlim _probe = new(1, 1);
    private bool? _available;

    public DockerClient Client => _client.Value;

    /// <summary>Whether an engine answers a ping (asked once per application).</summary>
    public async Task<bool> IsAvailableAsync(CancellationToken cancellationToken)
    {
        await _probe.WaitAsync(cancellationToken);
        try
        {
            if (_available is null)
            {
                try
                {
                    await Client.System.PingAsync(cancellationToken).WaitAsync(PingTimeout, cancellationToken);
                    _available = true;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    LogUnavailable(logger, ex.Message);
                    _available = false;
                }
            }
            return _available.Value;
        }
        finally
        {
            _probe.Release();
        }
    }

    public async Task<bool> HasImageAsync(string image, CancellationToken cancellationToken)
    {
        try
        {
            await Client.Images.InspectImageAsync(image, cancellationToken);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            LogImageMissing(logger, image);
            return false;
        }
    }

    /// <summary>Removes containers left by an AppHost that was killed before it could stop them.</summary>
    public async Task RemoveOrphansAsync(CancellationToken cancellationToken)
    {
        var containers = await Client.Containers.ListContainersAsync(
            new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [OwnerLabel] = true } },
            },
            cancellationToken);
        foreach (var container in containers)
        {
            if (int.TryParse(container.Labels[OwnerLabel], NumberStyles.None, CultureInfo.InvariantCulture, out var owner) && !Native.IsAlive(owner))
            {
                await RemoveAsync(container.ID, cancellationToken);
                var name = container.Names.FirstOrDefault() ?? container.ID;
                LogOrphanRemoved(logger, name, owner);
            }
        }
    }

    public async Task RemoveAsync(string containerId, CancellationToken cancellationToken)
    {
        try
        {
            await Client.Containers.RemoveContainerAsync(containerId, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            // Already gone: what we wanted.
        }
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
        _probe.Dispose();
    }

    [LoggerMessage(EventId = AppHostEventIds.ContainerRuntimeUnavailable, Level = LogLevel.Information, Message = "No Docker engine answers ({Reason}): Postgres and Redis run from the machine's binaries")]
    private static partial void LogUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = AppHostEventIds.ContainerImageMissing, Level = LogLevel.Information, Message = "The Docker engine has no image {Image}")]
    private static partial void LogImageMissing(ILogger logger, string image);

    [LoggerMessage(EventId = AppHostEventIds.OrphanContainerRemoved, Level = LogLevel.Information, Message = "Removed container {Container} left by AppHost process {Owner}, which is gone")]
    private static partial void LogOrphanRemoved(ILogger logger, string container, int owner);
}
