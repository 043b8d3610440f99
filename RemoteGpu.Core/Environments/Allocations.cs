namespace RemoteGpu.Core.Environments;

/// <summary>
/// An SSH host port of a Docker host held by one environment. The primary key (host, port) is what
/// makes it impossible for two creates — on any number of Api or Worker instances — to get one port.
/// </summary>
public sealed class PortAllocation
{
    public required string HostName { get; set; }
    public int Port { get; set; }
    public required string EnvironmentId { get; set; }
}

/// <summary>A GPU of a Docker host held by one environment; (host, device) is the primary key.</summary>
public sealed class GpuAllocation
{
    public required string HostName { get; set; }
    public required string DeviceId { get; set; }
    public required string EnvironmentId { get; set; }
}
