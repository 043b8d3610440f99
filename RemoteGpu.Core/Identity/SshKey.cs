namespace RemoteGpu.Core.Identity;

/// <summary>A user's SSH public key, written to authorized_keys of their environments.</summary>
public sealed class SshKey
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public required string Name { get; set; }

    /// <summary><c>ssh-ed25519</c>, <c>ecdsa-sha2-nistp256</c>, <c>ssh-rsa</c>, …</summary>
    public required string Algorithm { get; set; }
    public int Bits { get; set; }

    /// <summary>The canonical <c>&lt;algorithm&gt; &lt;base64&gt;</c> line, without the comment.</summary>
    public required string PublicKey { get; set; }

    /// <summary><c>SHA256:</c> + unpadded base64 of the key blob's SHA-256, as <c>ssh-keygen -lf</c> prints.</summary>
    public required string Fingerprint { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
