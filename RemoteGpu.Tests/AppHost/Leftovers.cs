using System.Net;
using System.Net.Sockets;
using Docker.DotNet;
using Docker.DotNet.Models;
using RemoteGpu.AppHost.Orchestration;
using RemoteGpu.AppHost.Orchestration.Containers;

namespace RemoteGpu.Tests.AppHost;

/// <summary>What an AppHost left behind: live processes, listening ports, containers.</summary>
internal static class Leftovers
{
    /// <summary>
    /// PIDs still alive, or whose process group still has a member: the AppHost starts every child as the
    /// leader of its own session, so its children (Postgres' backends) are in that group.
    /// </summary>
    public static IReadOnlyList<int> LiveProcessGroups(IEnumerable<int> pids) =>
        [.. pids.Where(pid => Native.IsAlive(pid) || Native.Signal(-pid, 0))];

    /// <summary>Ports on 127.0.0.1 that still accept a connection.</summary>
    public static async Task<IReadOnlyList<int>> ListeningPortsAsync(IEnumerable<int> ports)
    {
        var listening = new List<int>();
        foreach (var port in ports.Distinct())
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
                listening.Add(port);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // Nothing listens: what we want.
            }
        }
        return listening;
    }

    /// <summary>Containers, running or not, labelled with an AppHost session.</summary>
    public static async Task<IReadOnlyList<string>> ContainersOfSessionAsync(DockerClient docker, string sessionId)
    {
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{DockerEngine.SessionLabel}={sessionId}"] = true },
            },
        });
        return [.. containers.Select(container => $"{string.Join(",", container.Names)} ({container.State})")];
    }
}
