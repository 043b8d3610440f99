using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;
using RemoteGpu.Worker.Runtime.Docker;

namespace RemoteGpu.Worker.Health;

/// <summary>
/// Whether a workspace's sshd answers with its banner on the published port. An environment is
/// recorded as running only once it does: a user who reads "running" can log in.
/// </summary>
internal sealed class SshProbe(IOptions<DockerRuntimeOptions> docker, TimeProvider time)
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(50);

    public async Task<bool> IsReadyAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var tcp = new TcpClient();
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(TimeSpan.FromSeconds(2));
            await tcp.ConnectAsync(Address(), port, attempt.Token);
            var buffer = new byte[8];
            var read = await tcp.GetStream().ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, attempt.Token);
            return read == buffer.Length && Encoding.ASCII.GetString(buffer) == "SSH-2.0-";
        }
        catch (Exception ex) when (ex is SocketException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Not published yet, or Docker's proxy accepted and closed because sshd is not up yet.
            return false;
        }
    }

    public async Task WaitUntilReadyAsync(int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + timeout;
        while (!await IsReadyAsync(port, cancellationToken))
        {
            if (time.GetUtcNow() >= deadline)
            {
                throw new TimeoutException($"sshd did not answer on port {port} within {timeout.TotalSeconds:F0} s.");
            }
            await Task.Delay(RetryDelay, time, cancellationToken);
        }
    }

    /// <summary>Published on all interfaces: loopback reaches it too.</summary>
    private IPAddress Address() =>
        IPAddress.TryParse(docker.Value.PublishAddress, out var address) && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any)
            ? address
            : IPAddress.Loopback;
}
