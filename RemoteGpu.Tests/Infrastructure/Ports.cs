using System.Net;
using System.Net.Sockets;

namespace RemoteGpu.Tests.Infrastructure;

/// <summary>Loopback ports for the services and containers tests and benchmarks start.</summary>
internal static class Ports
{
    /// <summary>A port nothing listens on right now.</summary>
    public static int Free() => Free(1)[0];

    /// <summary><paramref name="count"/> distinct loopback ports nothing listens on right now.</summary>
    public static int[] Free(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(listener => listener.Start());
            return [.. listeners.Select(listener => ((IPEndPoint)listener.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(listener => listener.Dispose());
        }
    }

    /// <summary>Whether <paramref name="port"/> can be bound on loopback (nothing holds it).</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
