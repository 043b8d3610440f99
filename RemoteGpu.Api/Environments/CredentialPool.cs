using System.Threading.Channels;
using RemoteGpu.Core.Credentials;
using RemoteGpu.Core.Identity;

namespace RemoteGpu.Api.Environments;

/// <summary>
/// Workspace passwords with their bcrypt hashes (cost 12, a quarter of a second each), made ahead of
/// time while the Api is idle, so a create or reset does not spend that quarter second on the way to
/// the user's SSH prompt. When the pool is empty (a burst), a pair is made on the spot. Pairs live
/// only in this process's memory, like any password between its generation and its response.
/// </summary>
internal sealed class CredentialPool : BackgroundService
{
    public const int Capacity = 8;

    private readonly Channel<(string Password, string Hash)> _pairs =
        Channel.CreateBounded<(string, string)>(new BoundedChannelOptions(Capacity) { SingleReader = false, SingleWriter = true });

    public (string Password, string Hash) Take() => _pairs.Reader.TryRead(out var pair) ? pair : Make();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (await _pairs.Writer.WaitToWriteAsync(stoppingToken))
        {
            // Off the request threads; WaitToWriteAsync blocks while the pool is full.
            var pair = await Task.Run(Make, stoppingToken);
            await _pairs.Writer.WriteAsync(pair, stoppingToken);
        }
    }

    private static (string Password, string Hash) Make()
    {
        var password = CredentialGenerator.NewPassword();
        return (password, PasswordHasher.Hash(password));
    }
}
