namespace RemoteGpu.Core.Environments;

/// <summary>
/// How an environment is reached (seed 000, table access_info). No plaintext secret lives here:
/// the SSH password only as a bcrypt hash, the Jupyter token and code-server password protected
/// with Data Protection because the edge must present them.
/// </summary>
public sealed class AccessInfo
{
    public required string EnvironmentId { get; set; }
    public required string SshHost { get; set; }
    public int? SshPort { get; set; }
    public required string SshUsername { get; set; }
    public required string SshPasswordHash { get; set; }
    public DateTimeOffset? PasswordExpiresAt { get; set; }

    /// <summary>Upstream addresses recorded when the container starts; the proxy never guesses them.</summary>
    public string? JupyterUpstream { get; set; }
    public string? CodeServerUpstream { get; set; }

    /// <summary>The edge's Jupyter token; the worker replaces it at every start and revocation (the workspace holds its hash).</summary>
    public string? JupyterTokenProtected { get; set; }

    /// <summary>When the worker issued <see cref="JupyterTokenProtected"/>: grants that expired since must not know it.</summary>
    public DateTimeOffset? JupyterTokenIssuedAt { get; set; }
    public string? CodeServerPasswordProtected { get; set; }

    /// <summary>
    /// Bumped by a password reset or a change of the owner's keys; the worker applies the credentials
    /// inside the running container and records the version it applied. Converging, not commanding.
    /// </summary>
    public int CredentialsVersion { get; set; } = 1;
    public int AppliedCredentialsVersion { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
