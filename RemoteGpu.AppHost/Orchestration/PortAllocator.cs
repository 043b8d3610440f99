using System.Net;
using System.Net.Sockets;

namespace RemoteGpu.AppHost.Orchestration;

/// <summary>
/// Free TCP ports on 127.0.0.1: the kernel picks one for a listener that is closed at once. Another
/// process could take the port before ours binds it; the ports handed out in this session are never reused.
/// </summary>
internal sealed class PortAllocator
{
    private readonly HashSet<int> _handedOut = [];
    private readonly Lock _lock = new();

    public int Allocate()
    {
        lock (_lock)
        {
            while (true)
            {
                using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
                if (_handedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }

    /// <summary>A fixed port, or a free one for <c>null</c> or 0.</summary>
    public int Resolve(int? port) => port is > 0 ? port.Value : Allocate();
}
