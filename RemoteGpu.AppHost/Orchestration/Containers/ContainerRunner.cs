using System.Globalization;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace RemoteGpu.AppHost.Orchestration.Containers;

/// <summary>
/// Runs a <see cref="ContainerResource"/> as a container: its port published on 127.0.0.1 only, its data
/// folder bind-mounted from the state folder, labelled with this session, and removed when it stops.
/// </summary>
internal sealed class ContainerRunner(ContainerResource resource, string image, RunnerContext context) : ResourceRunner(resource, context)
{
    public override string Kind => ResourceKinds.Container;

    protected override IEnumerable<EndpointSnapshot> Endpoints => [Snapshot(resource.PrimaryEndpoint)];

    protected override async Task<IRunningInstance> StartInstanceAsync(CancellationToken cancellationToken)
    {
        var docker = Context.Docker;
        var port = $"{resource.PrimaryEndpoint.TargetPort}/tcp";
        var data = Path.Combine(Context.State.Path, "containers", resource.Name);
        Directory.CreateDirectory(data);

        var parameters = new CreateContainerParameters
        {
            Name = $"remotegpu-{resource.Name}-{Context.SessionId[..12]}",
            Image = image,
            Env = [.. resource.ContainerEnvironment.Select(variable => $"{variable.Key}={variable.Value.GetValue()}")],
            Labels = new Dictionary<string, string>
            {
                [DockerEngine.SessionLabel] = Context.SessionId,
                [DockerEngine.ResourceLabel] = resource.Name,
                [DockerEngine.OwnerLabel] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            },
            ExposedPorts = new Dictionary<string, EmptyStruct> { [port] = default },
            HostConfig = new HostConfig
            {
                PortBindings = new Dictionary<string, IList<PortBinding>>
                {
                    [port] = [new PortBinding { HostIP = ResourceEndpoint.LoopbackHost, HostPort = resource.PrimaryEndpoint.RequireAllocatedPort().ToString(CultureInfo.InvariantCulture) }],
                },
                Binds = [$"{data}:{resource.DataTarget}"],
            },
        };
        if (resource.Entrypoint is { } entrypoint)
        {
            parameters.Entrypoint = [entrypoint];
        }
        if (resource.Args.Count > 0)
        {
            parameters.Cmd = [.. resource.Args];
        }
        var created = await docker.Client.Containers.CreateContainerAsync(parameters, cancellationToken);

        var instance = new ContainerInstance(docker, created.ID, Log, Context.Time);
        try
        {
            await docker.Client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
            instance.Follow();
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    protected override Task CheckHealthAsync(CancellationToken cancellationToken) => Context.Probes.CheckAsync(resource, cancellationToken);

    /// <summary>A started container: its exit, its log stream, and its removal.</summary>
    private sealed class ContainerInstance(DockerEngine docker, string id, ResourceLog log, TimeProvider time) : IRunningInstance
    {
        private readonly CancellationTokenSource _following = new();
        private Task<int> _exited = Task.FromResult(0);
        private Task _logs = Task.CompletedTask;

        public Task<int> Exited => _exited;

        public int? ProcessId => null;

        public string? ContainerId => id;

        public void Follow()
        {
            _exited = WaitAsync(_following.Token);
            _logs = PumpLogsAsync(_following.Token);
        }

        public async Task<bool> StopAsync(TimeSpan grace, CancellationToken cancellationToken)
        {
            // The engine sends the image's stop signal (SIGINT for Postgres), then SIGKILL after the grace period.
            try
            {
                await docker.Client.Containers.StopContainerAsync(
                    id, new ContainerStopParameters { WaitBeforeKillSeconds = (uint)Math.Ceiling(grace.TotalSeconds) }, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await docker.Client.Containers.KillContainerAsync(id, new ContainerKillParameters(), CancellationToken.None);
            }
            var exitCode = await _exited.WaitAsync(grace + TimeSpan.FromSeconds(10), time, CancellationToken.None);
            return exitCode == 128 + Native.SigKill;
        }

        public async ValueTask DisposeAsync()
        {
            await docker.RemoveAsync(id, CancellationToken.None);
            await _following.CancelAsync();
            try
            {
                await Task.WhenAll(_exited, _logs);
            }
            catch (OperationCanceledException) when (_following.IsCancellationRequested)
            {
                // We stopped following a container that is gone.
            }
            _following.Dispose();
        }

        private async Task<int> WaitAsync(CancellationToken cancellationToken)
        {
            try
            {
                var response = await docker.Client.Containers.WaitContainerAsync(id, cancellationToken);
                return (int)response.StatusCode;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.Append($"[apphost] lost track of container {id[..12]}: {ex.Message}", isError: true);
                return -1;
            }
        }

        private async Task PumpLogsAsync(CancellationToken cancellationToken)
        {
            try
            {
                await CopyLogsAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.Append($"[apphost] the log stream of container {id[..12]} broke: {ex.Message}", isError: true);
            }
        }

        private async Task CopyLogsAsync(CancellationToken cancellationToken)
        {
            using var stream = await docker.Client.Containers.GetContainerLogsAsync(
                id, new ContainerLogsParameters { Follow = true, ShowStdout = true, ShowStderr = true }, cancellationToken);
            var buffer = new byte[8192];
            var pending = new Dictionary<MultiplexedStream.TargetStream, StringBuilder>();
            while (true)
            {
                var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken);
                if (read.EOF)
                {
                    break;
                }
                var text = pending.TryGetValue(read.Target, out var partial) ? partial : pending[read.Target] = new StringBuilder();
                text.Append(Encoding.UTF8.GetString(buffer, 0, read.Count));
                var lines = text.ToString().Split('\n');
                for (var i = 0; i < lines.Length - 1; i++)
                {
                    log.Append(lines[i].TrimEnd('\r'), read.Target == MultiplexedStream.TargetStream.StandardError);
                }
                text.Clear().Append(lines[^1]);
            }
        }
    }
}
