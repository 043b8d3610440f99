using System.ComponentModel.DataAnnotations;

namespace RemoteGpu.AppHost.Hosting;

/// <summary>How the AppHost runs things locally. Section <c>AppHost</c> (command line: <c>--AppHost:Dashboard:Port=0</c>).</summary>
internal sealed record AppHostOptions
{
    public const string SectionName = "AppHost";

    /// <summary>
    /// Data folders and persisted parameters. Default: <c>$XDG_STATE_HOME/remotegpu</c>, else
    /// <c>~/.local/state/remotegpu</c>; for root <c>/var/lib/remotegpu</c>, because Postgres runs as the
    /// <c>postgres</c> account, which cannot enter <c>/root</c>.
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary><c>Auto</c>: containers when Docker answers and has the image; <c>Docker</c>: containers or fail; <c>None</c>: binaries.</summary>
    public ContainerRuntimeMode ContainerRuntime { get; init; } = ContainerRuntimeMode.Auto;

    public ContainerImageOptions Postgres { get; init; } = new();

    public ContainerImageOptions Redis { get; init; } = new();

    public DashboardOptions Dashboard { get; init; } = new();

    /// <summary>How long a resource gets to stop after SIGTERM (Postgres: SIGINT) before it is killed.</summary>
    [Range(1, 300)]
    public int StopTimeoutSeconds { get; init; } = 10;

    public string ResolveStateDirectory()
    {
        if (!string.IsNullOrWhiteSpace(StateDirectory))
        {
            return Path.GetFullPath(StateDirectory);
        }
        var xdg = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (!string.IsNullOrWhiteSpace(xdg))
        {
            return Path.Combine(xdg, "remotegpu");
        }
        return Environment.IsPrivilegedProcess
            ? "/var/lib/remotegpu"
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state", "remotegpu");
    }
}

internal enum ContainerRuntimeMode
{
    Auto,
    Docker,
    None,
}

internal sealed record ContainerImageOptions
{
    /// <summary>Run-mode image, e.g. <c>remotegpu/postgres-test:latest</c>; default: the resource's own image.</summary>
    public string? Image { get; init; }
}

internal sealed record DashboardOptions
{
    public bool Enabled { get; init; } = true;

    /// <summary>0 picks a free port.</summary>
    [Range(0, 65535)]
    public int Port { get; init; } = 18888;
}
