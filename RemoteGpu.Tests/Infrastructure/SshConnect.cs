using Renci.SshNet;
using Renci.SshNet.Common;

namespace RemoteGpu.Tests.Infrastructure;

internal static class SshConnect
{
    /// <summary>
    /// Connects as an SSH client would from a busy machine: a connection dropped before
    /// authentication (reset, broken pipe) is retried a few times; a refused login is never retried.
    /// </summary>
    public static void ConnectRetryingTransport(this SshClient client)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                client.Connect();
                return;
            }
            catch (Exception ex) when (attempt < 3 && ex is System.Net.Sockets.SocketException or SshConnectionException && ex is not SshAuthenticationException)
            {
                // Dropped during the transport handshake; the next attempt starts a fresh connection.
            }
        }
    }
}
