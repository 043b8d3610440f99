namespace RemoteGpu.AppHost.Orchestration;

/// <summary>What the dashboard and the tests see of a resource at one moment. Never holds a secret.</summary>
public sealed record ResourceSnapshot
{
    public required string Name { get; init; }

    /// <summary><see cref="ResourceKinds"/>: project, container, executable, database or parameter.</summary>
    public required string Kind { get; init; }

    /// <summary><see cref="KnownResourceStates"/>.</summary>
    public string State { get; init; } = KnownResourceStates.NotStarted;

    /// <summary><c>Healthy</c>, <c>Unhealthy</c>, or <c>null</c> while not running.</summary>
    public string? Health { get; init; }

    public IReadOnlyList<EndpointSnapshot> Endpoints { get; init; } = [];

    public int RestartCount { get; init; }

    public int? ExitCode { get; init; }

    public int? ProcessId { get; init; }

    public string? ContainerId { get; init; }

    /// <summary>Why the resource failed to start or is unhealthy (no secrets: messages of our own or of probes).</summary>
    public string? Reason { get; init; }

    public bool IsHealthy => State == KnownResourceStates.Running && Health == HealthStates.Healthy;
}

public sealed record EndpointSnapshot(string Name, string Url, bool IsExternal);

public static class KnownResourceStates
{
    public const string NotStarted = "NotStarted";
    public const string Waiting = "Waiting";
    public const string Starting = "Starting";
    public const string Running = "Running";
    public const string Exited = "Exited";
    public const string FailedToStart = "FailedToStart";
    public const string Stopping = "Stopping";
    public const string Stopped = "Stopped";

    /// <summary>A parameter whose value is resolved.</summary>
    public const string Ready = "Ready";
}

public static class HealthStates
{
    public const string Healthy = "Healthy";
    public const string Unhealthy = "Unhealthy";
}

public static class ResourceKinds
{
    public const string Project = "project";
    public const string Container = "container";
    public const string Executable = "executable";
    public const string Database = "database";
    public const string Parameter = "parameter";
}
