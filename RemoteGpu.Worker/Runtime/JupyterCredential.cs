using System.Security.Cryptography;
using System.Text;
using RemoteGpu.Core.Credentials;

namespace RemoteGpu.Worker.Runtime;

/// <summary>
/// Jupyter trusts only the edge: the edge holds the token, the workspace only its SHA-256, handed over after every
/// start and at every revocation (<c>remotegpu-entrypoint set-jupyter-token-hash</c>, checked by the image's
/// <c>remotegpu_jupyter.py</c>). The token never enters the container, so no kernel, terminal or grantee reads it;
/// a new hash voids every earlier token at once.
/// </summary>
internal static class JupyterCredential
{
    public static readonly IReadOnlyList<string> SetHashCommand = ["remotegpu-entrypoint", "set-jupyter-token-hash"];

    /// <summary>A fresh token (128 random bits, hex).</summary>
    public static string NewToken() => CredentialGenerator.NewToken();

    /// <summary>What the workspace keeps: the token's SHA-256, lowercase hex.</summary>
    public static string HashOf(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }

    /// <summary>Makes <paramref name="token"/> the one Jupyter accepts in the running workspace.</summary>
    public static async Task HandOverAsync(IWorkspaceRuntime runtime, string environmentId, string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var result = await runtime.ExecAsync(environmentId, SetHashCommand, HashOf(token) + "\n", cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new WorkspaceRuntimeException($"Handing the Jupyter token to {environmentId} failed (exit {result.ExitCode}).");
        }
    }
}
