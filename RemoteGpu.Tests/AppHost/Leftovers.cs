using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace RemoteGpu.Tests.AppHost;

/// <summary>
/// What a topology leaves behind once stopped: processes of ours (the AppHost, DCP, the dashboard, the services),
/// containers from the stand-in images, listening ports. Processes and containers are compared with a snapshot
/// taken before the topology started, so whatever else runs on the machine is not counted.
/// </summary>
internal sealed class Leftovers
{
    private static readonly string[] OurPrograms =
        ["/tools/dcp", "Aspire.Dashboard", "RemoteGpu.AppHost", "RemoteGpu.Api", "RemoteGpu.Proxy", "RemoteGpu.Worker"];

    private static readonly string[] OurImages = ["remotegpu/postgres-test", "remotegpu/redis-test"];

    private readonly HashSet<int> _processesBefore;
    private readonly HashSet<string> _containersBefore;

    private Leftovers(HashSet<int> processes, HashSet<string> containers)
    {
        _processesBefore = processes;
        _containersBefore = containers;
    }

    public static async Task<Leftovers> BeforeAsync(DockerClient docker) =>
        new([.. OurProcesses().Keys], [.. (await OurContainersAsync(docker)).Keys]);

    /// <summary>Processes of ours started since the snapshot.</summary>
    public IReadOnlyList<OurProcess> NewProcesses() =>
        [.. OurProcesses().Where(process => !_processesBefore.Contains(process.Key)).Select(process => new OurProcess(process.Key, process.Value))];

    /// <summary>Containers from the stand-in images created since the snapshot, running or not.</summary>
    public async Task<IReadOnlyList<string>> NewContainersAsync(DockerClient docker) =>
        [.. (await OurContainersAsync(docker)).Where(container => !_containersBefore.Contains(container.Key)).Select(container => container.Value)];

    /// <summary>
    /// Waits until no process or container of ours started since the snapshot is left (a stopped AppHost leaves DCP to
    /// stop the rest, which takes seconds), or the timeout; returns what is still there.
    /// </summary>
    public async Task<IReadOnlyList<string>> WaitUntilGoneAsync(DockerClient docker, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            IReadOnlyList<string> left = [.. NewProcesses().Select(process => process.ToString()), .. await NewContainersAsync(docker)];
            if (left.Count == 0 || clock.Elapsed > timeout)
            {
                return left;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>Ports on loopback that still accept a connection.</summary>
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

    /// <summary>Live processes whose command line names one of our programs, by pid.</summary>
    private static Dictionary<int, string> OurProcesses()
    {
        var found = new Dictionary<int, string>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ').Trim();
            }
            catch (IOException)
            {
                continue; // Gone while we looked.
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            if (OurPrograms.Any(program => commandLine.Contains(program, StringComparison.Ordinal)))
            {
                found[pid] = commandLine;
            }
        }
        return found;
    }

    /// <summary>Containers from the stand-in images: id and description.</summary>
    private static async Task<Dictionary<string, string>> OurContainersAsync(DockerClient docker)
    {
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true });
        return containers
            .Where(container => OurImages.Any(image => container.Image.StartsWith(image, StringComparison.Ordinal)))
            .ToDictionary(container => container.ID, container => $"{container.ID[..12]} {string.Join(",", container.Names)} ({container.State})");
    }
}

internal sealed record OurProcess(int Pid, string CommandLine)
{
    public override string ToString() => $"{Pid}: {CommandLine}";
}
