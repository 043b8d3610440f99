using System.Diagnostics;

namespace RemoteGpu.Tests.Infrastructure;

internal sealed record GeneratedKey(string PublicKey, string PrivateKeyFile, string Fingerprint);

/// <summary>Real key pairs from OpenSSH's ssh-keygen, in a folder the caller owns and deletes.</summary>
internal static class SshKeygen
{
    public static async Task<GeneratedKey> GenerateAsync(string directory, string type = "ed25519", int? bits = null, string comment = "tests")
    {
        var file = Path.Combine(directory, $"{type}{bits}-{Guid.NewGuid():N}");
        var args = new List<string> { "-q", "-t", type, "-N", "", "-C", comment, "-f", file };
        if (bits is not null)
        {
            args.AddRange(["-b", bits.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }
        await RunAsync(args);
        var fingerprint = (await RunAsync(["-lf", file + ".pub", "-E", "sha256"])).Split(' ')[1];
        return new GeneratedKey((await File.ReadAllTextAsync(file + ".pub")).Trim(), file, fingerprint);
    }

    private static async Task<string> RunAsync(IEnumerable<string> args)
    {
        using var process = Process.Start(new ProcessStartInfo("ssh-keygen", args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"ssh-keygen failed: {await error}");
        return output;
    }
}
