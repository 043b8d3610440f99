using Microsoft.AspNetCore.DataProtection;

namespace RemoteGpu.Core.Environments;

/// <summary>
/// The recoverable secrets of an environment (Jupyter token, code-server password, the one-time
/// reveal of the SSH password) at rest: protected with the platform's shared Data Protection key
/// ring, so the Api, the Worker and the edge can each read what they need.
/// </summary>
public sealed class EnvironmentSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("RemoteGpu.EnvironmentSecrets.v1");

    public string Protect(string secret) => _protector.Protect(secret);

    public string Unprotect(string protectedSecret) => _protector.Unprotect(protectedSecret);
}
