using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Environments;

namespace RemoteGpu.Worker.Runtime.Docker;

/// <summary>
/// <see cref="IWorkspaceRuntime"/> on one Docker engine. A workspace is a container named
/// <c>remotegpu-&lt;env-id&gt;</c> and a volume <c>remotegpu-&lt;env-id&gt;-workspace</c>, both labelled with the
/// environment (<see cref="WorkspaceLabels"/>); the unique container name is what makes creation idempotent
/// when two deliveries of one command race.
/// </summary>
internal sealed partial class DockerWorkspaceRuntime(
    DockerClient docker,
    IOptions<DockerRuntimeOptions> options,
    TimeProvider time,
    ILogger<DockerWorkspaceRuntime> logger) : IWorkspaceRuntime
{
    private static readonly TimeSpan ExecExitPollInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan ExecExitTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The bridge driver's switch for traffic between containers on one network.</summary>
    private const string InterContainerOption = "com.docker.network.bridge.enable_icc";

    private readonly DockerRuntimeOptions _options = options.Value;

    /// <summary>Whether <see cref="DockerRuntimeOptions.Network"/> was found isolating; checked again after a failed create.</summary>
    private volatile bool _networkChecked;

    public Task<WorkspaceInstance> EnsureCreatedAsync(WorkspaceSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        return OnEngineAsync("create", spec.EnvironmentId, () => CreateAsync(spec, cancellationToken));
    }

    public Task<WorkspaceInstance> StartAsync(string environmentId, CancellationToken cancellationToken)
    {
        EnvironmentIds.ThrowIfInvalid(environmentId, nameof(environmentId));
        return OnEngineAsync("start", environmentId, async () =>
        {
            var container = await FindAsync(environmentId, cancellationToken) ?? throw new WorkspaceNotFoundException(environmentId);
            if (container.State?.Paused == true)
            {
                await docker.Containers.UnpauseContainerAsync(container.ID, cancellationToken);
            }
            else if (container.State?.Running != true)
            {
                try
                {
                    await docker.Containers.StartContainerAsync(container.ID, new ContainerStartParameters(), cancellationToken);
                }
                catch (DockerApiException ex) when (IsPortConflict(ex))
                {
                    throw await DiscardUnstartableAsync(environmentId, container, ex);
                }
            }
            else
            {
                return ToInstance(container);
            }

            var instance = ToInstance(await docker.Containers.InspectContainerAsync(container.ID, cancellationToken));
            LogStarted(logger, environmentId, instance.SshPort);
            return instance;
        });
    }

    public Task StopAsync(string environmentId, CancellationToken cancellationToken)
    {
        EnvironmentIds.ThrowIfInvalid(environmentId, nameof(environmentId));
        return OnEngineAsync("stop", environmentId, async () =>
        {
            var container = await FindAsync(environmentId, cancellationToken);
            if (container?.State is not { Running: true })
            {
                return;
            }
            try
            {
                var parameters = new ContainerStopParameters { WaitBeforeKillSeconds = (uint)Math.Ceiling(_options.StopTimeout.TotalSeconds) };
                if (await docker.Containers.StopContainerAsync(container.ID, parameters, cancellationToken))
                {
                    LogStopped(logger, environmentId);
                }
            }
            catch (DockerContainerNotFoundException)
            {
                // Removed since we looked: a container that does not exist is stopped.
            }
        });
    }

    public Task RemoveAsync(string environmentId, CancellationToken cancellationToken)
    {
        EnvironmentIds.ThrowIfInvalid(environmentId, nameof(environmentId));
        return OnEngineAsync("remove", environmentId, async () =>
        {
            var containers = await docker.Containers.ListContainersAsync(
                new ContainersListParameters { All = true, Filters = LabelFilter(environmentId) }, cancellationToken);
            foreach (var container in containers)
            {
                await RemoveContainerAsync(container.ID, cancellationToken);
            }
            var volumes = await RemoveVolumesAsync(environmentId, cancellationToken);
            if (containers.Count + volumes > 0)
            {
                LogRemoved(logger, environmentId, containers.Count, volumes);
            }
        });
    }

    public Task<WorkspaceInstance?> InspectAsync(string environmentId, CancellationToken cancellationToken)
    {
        EnvironmentIds.ThrowIfInvalid(environmentId, nameof(environmentId));
        return OnEngineAsync("inspect", environmentId, async () =>
            await FindAsync(environmentId, cancellationToken) is { } container ? ToInstance(container) : null);
    }

    public Task<ExecResult> ExecAsync(string environmentId, IReadOnlyList<string> command, string? standardInput, CancellationToken cancellationToken)
    {
        EnvironmentIds.ThrowIfInvalid(environmentId, nameof(environmentId));
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0 || string.IsNullOrEmpty(command[0]) || command.Any(argument => argument is null))
        {
            throw new ArgumentException("The command needs a program.", nameof(command));
        }
        return OnEngineAsync("run a command in", environmentId, () => ExecInContainerAsync(environmentId, command, standardInput, cancellationToken));
    }

    public Task<IReadOnlyList<WorkspaceInstance>> ListManagedAsync(string platformId, CancellationToken cancellationToken) =>
        OnEngineAsync("list", "the managed workspaces", async () =>
        {
            var filter = LabelFilter(environmentId: null);
            filter["label"][$"{WorkspaceLabels.Platform}={platformId}"] = true;
            var containers = await docker.Containers.ListContainersAsync(
                new ContainersListParameters { All = true, Filters = filter }, cancellationToken);
            return (IReadOnlyList<WorkspaceInstance>)[.. containers.Select(ToInstance)];
        });

    private async Task<WorkspaceInstance> CreateAsync(WorkspaceSpec spec, CancellationToken cancellationToken)
    {
        if (await FindAsync(spec.EnvironmentId, cancellationToken) is { } existing)
        {
            return ToInstance(existing);
        }

        var exposedPorts = await ImageExposedPortsAsync(spec.Image, cancellationToken);
        await EnsureNetworkAsync(cancellationToken);
        var volumeCreated = await EnsureVolumeAsync(spec, cancellationToken);
        string? containerId = null;
        try
        {
            var parameters = WorkspaceContainerParameters.Create(spec, _options, exposedPorts);
            containerId = (await docker.Containers.CreateContainerAsync(parameters, cancellationToken)).ID;
            var instance = ToInstance(await docker.Containers.InspectContainerAsync(containerId, cancellationToken));
            LogCreated(logger, spec.EnvironmentId, containerId, spec.Image);
            return instance;
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.Conflict && containerId is null)
        {
            // Another delivery of the same command won the container name; the volume is shared: converge on it.
            if (await FindAsync(spec.EnvironmentId, cancellationToken) is { } winner)
            {
                return ToInstance(winner);
            }
            await RollBackAsync(spec.EnvironmentId, containerId: null, volumeCreated, ex);
            throw new WorkspaceRuntimeException($"The container name of {spec.EnvironmentId} is taken by a container RemoteGpu does not manage.", ex);
        }
        catch (Exception ex)
        {
            _networkChecked = false;
            await RollBackAsync(spec.EnvironmentId, containerId, volumeCreated, ex);
            // The client reports every 404 of container creation as a missing image; a missing network is one too.
            if (ex is DockerImageNotFoundException { ResponseBody: { } body } && body.Contains("No such image", StringComparison.OrdinalIgnoreCase))
            {
                throw new WorkspaceImageNotFoundException(spec.Image, ex);
            }
            throw;
        }
    }

    /// <summary>
    /// The workspaces' network, made when absent: a bridge with inter-container traffic off, so no workspace reaches
    /// another's services, and apart from the bridges of the platform's own containers (Docker drops traffic between
    /// bridges). A network of that name that lets containers talk is refused rather than used.
    /// </summary>
    private async Task EnsureNetworkAsync(CancellationToken cancellationToken)
    {
        if (_networkChecked)
        {
            return;
        }
        var name = _options.Network;
        var network = await FindNetworkAsync(name, cancellationToken);
        if (network is null)
        {
            try
            {
                await docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
                {
                    Name = name,
                    Driver = "bridge",
                    Options = new Dictionary<string, string> { [InterContainerOption] = "false" },
                    Labels = new Dictionary<string, string> { [WorkspaceLabels.Managed] = "true" },
                }, cancellationToken);
                LogNetworkCreated(logger, name);
            }
            catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.Conflict)
            {
                // Another worker made it first.
            }
            network = await FindNetworkAsync(name, cancellationToken) ?? throw new WorkspaceRuntimeException($"Docker network {name} vanished as it was created.");
        }
        if (network.Driver != "bridge" || network.Options?.TryGetValue(InterContainerOption, out var icc) != true || icc != "false")
        {
            throw new WorkspaceRuntimeException(
                $"Docker network {name} lets containers reach each other (driver {network.Driver}, {InterContainerOption} not false): "
                + $"no workspace is started on it. Remove it so that the worker makes it isolated, or name another with {DockerRuntimeOptions.SectionName}:Network.");
        }
        _networkChecked = true;
    }

    private async Task<NetworkResponse?> FindNetworkAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var network = await docker.Networks.InspectNetworkAsync(name, cancellationToken);
            // Inspect also matches an id prefix: only the name counts.
            return network.Name == name ? network : null;
        }
        catch (DockerNetworkNotFoundException)
        {
            return null;
        }
    }

    private async Task<IEnumerable<string>> ImageExposedPortsAsync(string image, CancellationToken cancellationToken)
    {
        try
        {
            var inspected = await docker.Images.InspectImageAsync(image, cancellationToken);
            return inspected.Config?.ExposedPorts?.Keys ?? [];
        }
        catch (DockerImageNotFoundException ex)
        {
            throw new WorkspaceImageNotFoundException(image, ex);
        }
    }

    /// <summary>Creates the workspace volume unless it exists; true when this call created it.</summary>
    private async Task<bool> EnsureVolumeAsync(WorkspaceSpec spec, CancellationToken cancellationToken)
    {
        var name = WorkspaceLabels.VolumeName(spec.EnvironmentId);
        VolumeResponse existing;
        try
        {
            existing = await docker.Volumes.InspectAsync(name, cancellationToken);
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            await docker.Volumes.CreateAsync(
                new VolumesCreateParameters { Name = name, Labels = WorkspaceContainerParameters.Labels(spec) }, cancellationToken);
            return true;
        }

        // Kept from an earlier container of this environment (a port change): the user's files. Someone else's: never.
        if (existing.Labels is null || !existing.Labels.TryGetValue(WorkspaceLabels.EnvironmentId, out var owner) || owner != spec.EnvironmentId)
        {
            throw new WorkspaceRuntimeException($"A volume named {name} exists that RemoteGpu did not create for {spec.EnvironmentId}; it is left alone.");
        }
        return false;
    }

    /// <summary>Removes what a failed <see cref="CreateAsync"/> made, so that no half-created workspace stays behind.</summary>
    private async Task RollBackAsync(string environmentId, string? containerId, bool volumeCreated, Exception cause)
    {
        LogCreateRolledBack(logger, environmentId, Describe(cause));
        try
        {
            if (containerId is not null)
            {
                await RemoveContainerAsync(containerId, CancellationToken.None);
            }
            if (volumeCreated)
            {
                await RemoveVolumeIfUnusedAsync(WorkspaceLabels.VolumeName(environmentId), CancellationToken.None);
            }
        }
        catch (Exception ex) when (IsEngineFailure(ex))
        {
            // The caller gets the cause; what is left is labelled and the reconciler's sweep removes it.
            LogRollbackFailed(logger, ex, environmentId);
        }
    }

    /// <summary>
    /// A container whose SSH port is taken can never start: its port binding is fixed at creation. Remove it so
    /// that the caller can create it again on another port; keep the volume unless the container never ran.
    /// </summary>
    private async Task<PortUnavailableException> DiscardUnstartableAsync(string environmentId, ContainerInspectResponse container, DockerApiException cause)
    {
        var port = container.HostConfig?.PortBindings is { } bindings
            && bindings.TryGetValue(WorkspaceContainerParameters.SshPort, out var ssh)
            && int.TryParse(ssh.FirstOrDefault()?.HostPort, CultureInfo.InvariantCulture, out var hostPort) ? hostPort : 0;
        var neverRan = !DateTimeOffset.TryParse(container.State?.StartedAt, CultureInfo.InvariantCulture, out var startedAt) || startedAt.Year < 2000;
        LogPortUnavailable(logger, environmentId, port, keptVolume: !neverRan);

        await RemoveContainerAsync(container.ID, CancellationToken.None);
        if (neverRan)
        {
            await RemoveVolumesAsync(environmentId, CancellationToken.None);
        }
        return new PortUnavailableException(port, environmentId, cause);
    }

    private async Task<ExecResult> ExecInContainerAsync(string environmentId, IReadOnlyList<string> command, string? standardInput, CancellationToken cancellationToken)
    {
        var container = await FindAsync(environmentId, cancellationToken) ?? throw new WorkspaceNotFoundException(environmentId);
        if (container.State is not { Running: true, Paused: false })
        {
            throw new WorkspaceRuntimeException($"The workspace {environmentId} is not running ({container.State?.Status}); commands run only in a running one.");
        }

        var exec = await docker.Exec.CreateContainerExecAsync(
            container.ID,
            new ContainerExecCreateParameters
            {
                Cmd = [.. command],
                AttachStdin = standardInput is not null,
                AttachStdout = true,
                AttachStderr = true,
                TTY = false,
            },
            cancellationToken);

        ExecOutput output;
        using (var stream = await docker.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters { Detach = false, TTY = false }, cancellationToken))
        {
            var reading = ReadOutputAsync(stream, cancellationToken);
            if (standardInput is not null)
            {
                var bytes = Encoding.UTF8.GetBytes(standardInput);
                await stream.WriteAsync(bytes, 0, bytes.Length, cancellationToken);
                stream.CloseWrite();
            }
            output = await reading;
        }

        var exitCode = await WaitForExitCodeAsync(exec.ID, cancellationToken);
        // The program only: arguments and output may carry secrets.
        LogCommandExecuted(logger, environmentId, command[0], exitCode);
        return new ExecResult(exitCode, output.StandardOutput, output.StandardError, output.Truncated);
    }

    private static async Task<ExecOutput> ReadOutputAsync(MultiplexedStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        using var standardOutput = new MemoryStream();
        using var standardError = new MemoryStream();
        var truncated = false;
        while (true)
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken);
            if (read.EOF)
            {
                break;
            }
            // Read to the end even past the limit, so that the command is not blocked on a full pipe.
            var target = read.Target == MultiplexedStream.TargetStream.StandardError ? standardError : standardOutput;
            var kept = (int)Math.Min(read.Count, Math.Max(0, ExecResult.OutputLimitBytes - target.Length));
            target.Write(buffer, 0, kept);
            truncated |= kept < read.Count;
        }
        return new ExecOutput(Decode(standardOutput), Decode(standardError), truncated);

        static string Decode(MemoryStream bytes) => Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length);
    }

    /// <summary>The output stream ends when the process does; the engine records its exit code a moment later.</summary>
    private async Task<int> WaitForExitCodeAsync(string execId, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            var inspected = await docker.Exec.InspectContainerExecAsync(execId, cancellationToken);
            if (!inspected.Running && inspected.ExitCode is { } exitCode)
            {
                return (int)exitCode;
            }
            if (time.GetElapsedTime(started) > ExecExitTimeout)
            {
                throw new WorkspaceRuntimeException($"The command's output ended but Docker reported no exit code within {ExecExitTimeout.TotalSeconds} s.");
            }
            await Task.Delay(ExecExitPollInterval, time, cancellationToken);
        }
    }

    /// <summary>The environment's container, found by its labels; null when there is none.</summary>
    private async Task<ContainerInspectResponse?> FindAsync(string environmentId, CancellationToken cancellationToken)
    {
        var matches = await docker.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = LabelFilter(environmentId) }, cancellationToken);
        foreach (var match in matches.OrderBy(match => match.Created))
        {
            try
            {
                return await docker.Containers.InspectContainerAsync(match.ID, cancellationToken);
            }
            catch (DockerContainerNotFoundException)
            {
                // Removed between the list and the inspect: look at the next one, if any.
            }
        }
        return null;
    }

    private async Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Containers.RemoveContainerAsync(containerId, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            // Already gone: what we wanted.
        }
    }

    /// <summary>Removes every volume labelled with the environment; returns how many.</summary>
    private async Task<int> RemoveVolumesAsync(string environmentId, CancellationToken cancellationToken)
    {
        var volumes = await docker.Volumes.ListAsync(new VolumesListParameters { Filters = LabelFilter(environmentId) }, cancellationToken);
        var removed = 0;
        foreach (var volume in volumes.Volumes ?? [])
        {
            try
            {
                await docker.Volumes.RemoveAsync(volume.Name, force: false, cancellationToken);
                removed++;
            }
            catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                // Already gone: what we wanted.
            }
        }
        return removed;
    }

    private async Task RemoveVolumeIfUnusedAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Volumes.RemoveAsync(name, force: false, cancellationToken);
        }
        catch (DockerApiException ex) when (ex.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Gone, or mounted by the container a concurrent create made for the same environment: leave it.
        }
    }

    private WorkspaceInstance ToInstance(ContainerInspectResponse container)
    {
        var labels = container.Config?.Labels ?? new Dictionary<string, string>();
        var running = container.State is { Running: true };
        var published = running ? container.NetworkSettings?.Ports : null;
        string? Upstream(string port) => running ? LoopbackUpstream(published, port) : null;
        return new WorkspaceInstance
        {
            EnvironmentId = labels.TryGetValue(WorkspaceLabels.EnvironmentId, out var environmentId) ? environmentId : "",
            ContainerId = container.ID,
            State = ParseState(container.State?.Status),
            SshPort = HostPort(published, WorkspaceContainerParameters.SshPort),
            JupyterUpstream = Upstream(WorkspaceContainerParameters.JupyterPort),
            CodeServerUpstream = Upstream(WorkspaceContainerParameters.CodeServerPort),
            OwnerId = ParseOwner(labels),
            CreatedAt = AsUtc(container.Created),
        };
    }

    private WorkspaceInstance ToInstance(ContainerListResponse container)
    {
        var labels = container.Labels ?? new Dictionary<string, string>();
        var state = ParseState(container.State);
        var ports = state == WorkspaceState.Running ? container.Ports ?? [] : [];
        string? Upstream(string port) =>
            ports.FirstOrDefault(p => p.PrivatePort == ContainerPortNumber(port) && p.PublicPort is not null) is { } published
                ? $"http://{FormatHost(published.IP)}:{published.PublicPort}"
                : null;
        return new WorkspaceInstance
        {
            EnvironmentId = labels.TryGetValue(WorkspaceLabels.EnvironmentId, out var environmentId) ? environmentId : "",
            ContainerId = container.ID,
            State = state,
            SshPort = ports.FirstOrDefault(p => p.PrivatePort == 22 && p.PublicPort is not null)?.PublicPort,
            JupyterUpstream = Upstream(WorkspaceContainerParameters.JupyterPort),
            CodeServerUpstream = Upstream(WorkspaceContainerParameters.CodeServerPort),
            OwnerId = ParseOwner(labels),
            CreatedAt = AsUtc(container.Created),
        };
    }

    private static string? LoopbackUpstream(IDictionary<string, IList<PortBinding>>? published, string port) =>
        published is not null && published.TryGetValue(port, out var bindings) && bindings?.FirstOrDefault() is { } binding
            ? $"http://{FormatHost(binding.HostIP)}:{binding.HostPort}"
            : null;

    private static int? HostPort(IDictionary<string, IList<PortBinding>>? published, string port) =>
        published is not null && published.TryGetValue(port, out var bindings)
        && int.TryParse(bindings?.FirstOrDefault()?.HostPort, CultureInfo.InvariantCulture, out var hostPort)
            ? hostPort
            : null;

    private static int ContainerPortNumber(string port) => int.Parse(port.AsSpan(0, port.IndexOf('/', StringComparison.Ordinal)), CultureInfo.InvariantCulture);

    private static string FormatHost(string? address) =>
        string.IsNullOrEmpty(address) || address == "0.0.0.0" ? WorkspaceContainerParameters.LoopbackAddress
        : address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address;

    private static WorkspaceState ParseState(string? status) =>
        Enum.TryParse<WorkspaceState>(status, ignoreCase: true, out var state) ? state : WorkspaceState.Unknown;

    private static Guid? ParseOwner(IDictionary<string, string> labels) =>
        labels.TryGetValue(WorkspaceLabels.Owner, out var owner) && Guid.TryParse(owner, out var id) ? id : null;

    private static DateTimeOffset AsUtc(DateTime value) =>
        value.Kind == DateTimeKind.Local ? new DateTimeOffset(value.ToUniversalTime()) : new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private static Dictionary<string, IDictionary<string, bool>> LabelFilter(string? environmentId)
    {
        var labels = new Dictionary<string, bool> { [$"{WorkspaceLabels.Managed}=true"] = true };
        if (environmentId is not null)
        {
            labels[$"{WorkspaceLabels.EnvironmentId}={environmentId}"] = true;
        }
        return new Dictionary<string, IDictionary<string, bool>> { ["label"] = labels };
    }

    /// <summary>The engine could not bind a published port: the SSH port, since the others are chosen by the engine.</summary>
    private static bool IsPortConflict(DockerApiException ex) =>
        ex.ResponseBody is { } body
        && (body.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
            || body.Contains("port is already allocated", StringComparison.OrdinalIgnoreCase));

    private static bool IsEngineFailure(Exception ex) =>
        ex is DockerApiException or HttpRequestException or IOException or SocketException or TimeoutException;

    /// <summary>The engine's own message (<c>{"message": "…"}</c>) rather than the client's wrapper text.</summary>
    private static string Describe(Exception ex)
    {
        if (ex is DockerApiException { ResponseBody: { Length: > 0 } body })
        {
            try
            {
                using var json = JsonDocument.Parse(body);
                if (json.RootElement.ValueKind == JsonValueKind.Object
                    && json.RootElement.TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 } text)
                {
                    return text;
                }
            }
            catch (JsonException)
            {
                return body.Trim();
            }
        }
        return ex.Message;
    }

    /// <summary>One operation on the engine: a span, and engine failures as <see cref="WorkspaceRuntimeException"/>.</summary>
    private static async Task<T> OnEngineAsync<T>(string operation, string subject, Func<Task<T>> action)
    {
        using var activity = WorkerTelemetry.Source.StartActivity("docker " + operation, ActivityKind.Client);
        if (EnvironmentIds.IsValid(subject))
        {
            activity?.SetTag(WorkerTelemetry.EnvironmentIdTag, subject);
        }
        try
        {
            return await action();
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            if (IsEngineFailure(ex))
            {
                throw new WorkspaceRuntimeException($"Docker could not {operation} {subject}: {Describe(ex)}", ex);
            }
            throw;
        }
    }

    private static async Task OnEngineAsync(string operation, string subject, Func<Task> action) =>
        await OnEngineAsync(operation, subject, async () =>
        {
            await action();
            return true;
        });

    private readonly record struct ExecOutput(string StandardOutput, string StandardError, bool Truncated);

    [LoggerMessage(EventId = RuntimeEventIds.NetworkCreated, Level = LogLevel.Information, Message = "Created the workspaces' network {Network}, inter-container traffic off")]
    private static partial void LogNetworkCreated(ILogger logger, string network);

    [LoggerMessage(EventId = RuntimeEventIds.WorkspaceCreated, Level = LogLevel.Information, Message = "Created the workspace container of {EnvironmentId} ({ContainerId}) from {Image}")]
    private static partial void LogCreated(ILogger logger, string environmentId, string containerId, string image);

    [LoggerMessage(EventId = RuntimeEventIds.WorkspaceStarted, Level = LogLevel.Information, Message = "Workspace {EnvironmentId} runs, SSH on host port {SshPort}")]
    private static partial void LogStarted(ILogger logger, string environmentId, int? sshPort);

    [LoggerMessage(EventId = RuntimeEventIds.WorkspaceStopped, Level = LogLevel.Information, Message = "Stopped workspace {EnvironmentId}")]
    private static partial void LogStopped(ILogger logger, string environmentId);

    [LoggerMessage(EventId = RuntimeEventIds.WorkspaceRemoved, Level = LogLevel.Information, Message = "Removed workspace {EnvironmentId}: {Containers} container(s), {Volumes} volume(s)")]
    private static partial void LogRemoved(ILogger logger, string environmentId, int containers, int volumes);

    [LoggerMessage(EventId = RuntimeEventIds.CreateRolledBack, Level = LogLevel.Warning, Message = "Creating workspace {EnvironmentId} failed ({Reason}); removing what this attempt created")]
    private static partial void LogCreateRolledBack(ILogger logger, string environmentId, string reason);

    [LoggerMessage(EventId = RuntimeEventIds.RollbackFailed, Level = LogLevel.Error, Message = "Could not remove what the failed creation of workspace {EnvironmentId} left; the reconciler's sweep will")]
    private static partial void LogRollbackFailed(ILogger logger, Exception exception, string environmentId);

    [LoggerMessage(EventId = RuntimeEventIds.PortUnavailable, Level = LogLevel.Warning, Message = "Host port {Port} of workspace {EnvironmentId} is in use; its container is removed (volume kept: {KeptVolume})")]
    private static partial void LogPortUnavailable(ILogger logger, string environmentId, int port, bool keptVolume);

    [LoggerMessage(EventId = RuntimeEventIds.CommandExecuted, Level = LogLevel.Debug, Message = "Ran {Program} in workspace {EnvironmentId}: exit code {ExitCode}")]
    private static partial void LogCommandExecuted(ILogger logger, string environmentId, string program, int exitCode);
}
