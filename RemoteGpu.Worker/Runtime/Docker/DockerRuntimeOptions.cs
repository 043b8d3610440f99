using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Text.RegularExpressions;

namespace RemoteGpu.Worker.Runtime.Docker;

/// <summary>How the Worker reaches its Docker engine and publishes workspaces. Section <c>Runtime:Docker</c>.</summary>
internal sealed partial record DockerRuntimeOptions : IValidatableObject
{
    public const string SectionName = "Runtime:Docker";

    /// <summary>
    /// The engine, e.g. <c>unix:///var/run/docker.sock</c> or <c>tcp://gpu-01:2376</c>. Null: <c>DOCKER_HOST</c>,
    /// then the current Docker context, then the platform's default socket — as the docker CLI does.
    /// </summary>
    public Uri? Endpoint { get; init; }

    /// <summary>Host address the SSH ports are published on (users connect to it).</summary>
    [Required]
    public string PublishAddress { get; init; } = "127.0.0.1";

    /// <summary>
    /// The Docker network every workspace joins: a bridge with inter-container traffic off (created so when absent;
    /// one that lets containers reach each other is refused). No workspace reaches another's sshd, Jupyter or
    /// code-server, nor the platform's own containers on other bridges; Jupyter and code-server are published on the
    /// host's loopback only, for the edge on the same host. Outbound traffic is allowed (package installs).
    /// </summary>
    [Required]
    public string Network { get; init; } = "remotegpu-workspaces";

    /// <summary>How long a stopping workspace gets after SIGTERM before SIGKILL.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Endpoint is { } endpoint && endpoint.Scheme is not ("unix" or "tcp" or "http" or "https" or "npipe"))
        {
            yield return new ValidationResult(
                $"{SectionName}:Endpoint must be a unix://, tcp://, http(s):// or npipe:// address.", [nameof(Endpoint)]);
        }
        if (!IPAddress.TryParse(PublishAddress, out _))
        {
            yield return new ValidationResult(
                $"{SectionName}:PublishAddress must be an IP address of the Docker host, such as 127.0.0.1 or 0.0.0.0.", [nameof(PublishAddress)]);
        }
        if (!NetworkName().IsMatch(Network ?? ""))
        {
            yield return new ValidationResult($"{SectionName}:Network must be a Docker network name.", [nameof(Network)]);
        }
    }

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$")]
    private static partial Regex NetworkName();
}
