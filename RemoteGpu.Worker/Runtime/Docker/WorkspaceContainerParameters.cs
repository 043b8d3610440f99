using System.Globalization;
using Docker.DotNet.Models;

namespace RemoteGpu.Worker.Runtime.Docker;

/// <summary>
/// The container a <see cref="WorkspaceSpec"/> becomes: the whole contract with the image's entrypoint and with
/// the engine in one pure function, so that what cannot run here (GPUs) is still checked by a test.
/// </summary>
internal static class WorkspaceContainerParameters
{
    public const string SshPort = "22/tcp";
    public const string JupyterPort = "8888/tcp";
    public const string CodeServerPort = "8080/tcp";
    public const string WorkspacePath = "/workspace";

    /// <summary>Where HTTP services are published: only the edge on the same host reaches them, never another workspace.</summary>
    public const string LoopbackAddress = "127.0.0.1";

    /// <summary>The HTTP services, published only when the image declares them (EXPOSE): code-server is optional.</summary>
    public static readonly IReadOnlyList<string> HttpPorts = [JupyterPort, CodeServerPort];

    /// <summary>The container for <paramref name="spec"/>, given the ports its image declares (e.g. <c>8888/tcp</c>).</summary>
    public static CreateContainerParameters Create(WorkspaceSpec spec, DockerRuntimeOptions options, IEnumerable<string> imageExposedPorts)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(imageExposedPorts);

        var httpPorts = HttpPorts.Intersect(imageExposedPorts, StringComparer.Ordinal).ToList();
        var portBindings = new Dictionary<string, IList<PortBinding>>
        {
            [SshPort] = [new PortBinding { HostIP = options.PublishAddress, HostPort = spec.SshHostPort.ToString(CultureInfo.InvariantCulture) }],
        };
        foreach (var port in httpPorts)
        {
            // An empty host port: the engine picks a free one at each start.
            portBindings[port] = [new PortBinding { HostIP = LoopbackAddress, HostPort = "" }];
        }

        var memoryBytes = spec.MemoryMb * 1024L * 1024L;
        var hostConfig = new HostConfig
        {
            PortBindings = portBindings,
            // The isolated network (DockerRuntimeOptions.Network), never the engine's default bridge.
            NetworkMode = options.Network,
            Mounts = [new Mount { Type = "volume", Source = WorkspaceLabels.VolumeName(spec.EnvironmentId), Target = WorkspacePath }],
            NanoCPUs = (long)decimal.Round(spec.CpuCores * 1_000_000_000m),
            Memory = memoryBytes,
            MemorySwap = memoryBytes,
            // The platform's reconciler decides whether a workspace should run again, not dockerd.
            RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.No },
            // Docker's default capability set, unprivileged: sshd and the entrypoint need nothing more.
            Privileged = false,
        };
        if (spec.GpuDeviceIds.Count > 0)
        {
            // Explicit devices from the allocator, never "all": two workspaces must not share a GPU by accident.
            hostConfig.DeviceRequests = [new DeviceRequest { Driver = "nvidia", DeviceIDs = [.. spec.GpuDeviceIds], Capabilities = [["gpu"]] }];
        }

        return new CreateContainerParameters
        {
            Name = WorkspaceLabels.ContainerName(spec.EnvironmentId),
            Hostname = spec.EnvironmentId,
            Image = spec.Image,
            Labels = Labels(spec),
            Env = EnvironmentVariables(spec),
            ExposedPorts = new[] { SshPort }.Concat(httpPorts).ToDictionary(port => port, _ => default(EmptyStruct)),
            StopTimeout = options.StopTimeout,
            HostConfig = hostConfig,
        };
    }

    /// <summary>The labels of the container and of its volume.</summary>
    public static Dictionary<string, string> Labels(WorkspaceSpec spec) => new()
    {
        [WorkspaceLabels.Managed] = "true",
        [WorkspaceLabels.Platform] = spec.PlatformId,
        [WorkspaceLabels.EnvironmentId] = spec.EnvironmentId,
        [WorkspaceLabels.Owner] = spec.OwnerId.ToString(),
        [WorkspaceLabels.OwnerName] = spec.OwnerName,
    };

    /// <remarks>
    /// Container environment variables are readable by whoever can call the engine's API (<c>docker inspect</c>;
    /// root on the host anyway) and by root inside the container, not by the workspace user: the entrypoint
    /// starts every user process with them removed. That is acceptable for what goes here: the password only as
    /// its bcrypt hash; the code-server password is a secret the edge holds and presents anyway. The Jupyter token is
    /// not here at all: the workspace gets only its hash, after each start (<see cref="JupyterCredential"/>).
    /// Handing them over by <c>docker exec</c> after start instead would cost a round trip on the start path and
    /// race the entrypoint's first start. Never put a secret in the command line (visible in <c>ps</c>).
    /// </remarks>
    private static List<string> EnvironmentVariables(WorkspaceSpec spec)
    {
        var variables = new List<string>
        {
            $"REMOTEGPU_USER={spec.UserName}",
            $"REMOTEGPU_PASSWORD_HASH={spec.PasswordHash}",
        };
        if (!string.IsNullOrWhiteSpace(spec.AuthorizedKeys))
        {
            variables.Add($"REMOTEGPU_AUTHORIZED_KEYS={spec.AuthorizedKeys}");
        }
        if (!string.IsNullOrEmpty(spec.CodeServerPassword))
        {
            variables.Add($"REMOTEGPU_CODE_SERVER_PASSWORD={spec.CodeServerPassword}");
        }
        if (!string.IsNullOrEmpty(spec.JupyterAllowOrigin))
        {
            variables.Add($"REMOTEGPU_JUPYTER_ALLOW_ORIGIN={spec.JupyterAllowOrigin}");
        }
        return variables;
    }
}
