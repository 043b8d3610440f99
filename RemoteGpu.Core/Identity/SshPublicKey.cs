using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;

namespace RemoteGpu.Core.Identity;

/// <summary>
/// One OpenSSH public key line (<c>&lt;algorithm&gt; &lt;base64&gt; [comment]</c>), parsed from the SSH wire
/// format and checked the way sshd would load it, so that nothing sshd would skip (or worse, anything
/// that is not a key) reaches a workspace's authorized_keys.
/// </summary>
public sealed record SshPublicKey
{
    public const int MaxInputLength = 16 * 1024;
    public const int MaxCommentLength = 256;
    public const int MinRsaBits = 2048;
    public const int MaxRsaBits = 16384;

    private const string Ed25519 = "ssh-ed25519";
    private const string EcdsaP256 = "ecdsa-sha2-nistp256";
    private const string EcdsaP384 = "ecdsa-sha2-nistp384";
    private const string EcdsaP521 = "ecdsa-sha2-nistp521";
    private const string Rsa = "ssh-rsa";
    private const string SkEd25519 = "sk-ssh-ed25519@openssh.com";
    private const string SkEcdsaP256 = "sk-ecdsa-sha2-nistp256@openssh.com";
    private const string Dsa = "ssh-dss";
    private const string CertificateSuffix = "-cert-v01@openssh.com";
    private const int Ed25519KeyLength = 32;
    private const int MaxApplicationLength = 256;
    private const int MaxEchoLength = 40;
    private const string Malformed = "The key data is truncated or malformed.";

    private static readonly string[] Supported = [Ed25519, EcdsaP256, EcdsaP384, EcdsaP521, Rsa, SkEd25519, SkEcdsaP256];
    private static readonly char[] Separators = [' ', '\t'];

    private readonly byte[] _blob;

    private SshPublicKey(string algorithm, int bits, byte[] blob, string? comment, string? application)
    {
        Algorithm = algorithm;
        Bits = bits;
        _blob = blob;
        Comment = comment;
        Application = application;
        Fingerprint = "SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('=');
        CanonicalLine = $"{algorithm} {Convert.ToBase64String(blob)}";
    }

    /// <summary><c>ssh-ed25519</c>, <c>ecdsa-sha2-nistp256</c>, <c>ssh-rsa</c>, …</summary>
    public string Algorithm { get; }

    /// <summary>Key size as <c>ssh-keygen -l</c> reports it: 256 for Ed25519, the curve size for ECDSA, the modulus length for RSA.</summary>
    public int Bits { get; }

    /// <summary>The decoded key blob (SSH wire format).</summary>
    public ReadOnlyMemory<byte> Blob => _blob;

    /// <summary>The text after the key data, trimmed; <see langword="null"/> when there is none.</summary>
    public string? Comment { get; }

    /// <summary>The FIDO application (usually <c>ssh:</c>) of a security-key (<c>sk-…</c>) key; otherwise <see langword="null"/>.</summary>
    public string? Application { get; }

    /// <summary><c>SHA256:</c> + unpadded base64 of the blob's SHA-256, exactly as <c>ssh-keygen -lf</c> prints it.</summary>
    public string Fingerprint { get; }

    /// <summary><c>&lt;algorithm&gt; &lt;base64&gt;</c>, without the comment.</summary>
    public string CanonicalLine { get; }

    /// <summary>
    /// Parses one authorized_keys-style public key line. Never throws: any input either yields a key or a
    /// short sentence fit to show the user.
    /// </summary>
    public static bool TryParse(string? line, [NotNullWhen(true)] out SshPublicKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        error = SplitLine(line, out var algorithm, out var base64, out var comment);
        if (error is not null)
        {
            return false;
        }
        error = DecodeBase64(base64, out var blob);
        if (error is not null)
        {
            return false;
        }
        error = ReadBlob(algorithm, blob, out var bits, out var application);
        if (error is not null)
        {
            return false;
        }
        key = new SshPublicKey(algorithm, bits, blob, comment, application);
        return true;
    }

    public bool Equals(SshPublicKey? other) =>
        other is not null
        && Algorithm == other.Algorithm
        && Comment == other.Comment
        && _blob.AsSpan().SequenceEqual(other._blob);

    public override int GetHashCode() => HashCode.Combine(Fingerprint, Comment);

    public override string ToString() => Comment is null ? CanonicalLine : $"{CanonicalLine} {Comment}";

    private static string? SplitLine(string? line, out string algorithm, out string base64, out string? comment)
    {
        algorithm = string.Empty;
        base64 = string.Empty;
        comment = null;
        if (string.IsNullOrWhiteSpace(line))
        {
            return "The key is empty; paste the contents of your .pub file.";
        }
        if (line.Length > MaxInputLength)
        {
            return "The key is too long (more than 16 KiB).";
        }
        var text = line.Trim();
        if (text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            return text.Contains("PRIVATE KEY", StringComparison.Ordinal)
                ? "This is a private key; paste the .pub file."
                : "PEM-encoded keys are not accepted; paste the one-line OpenSSH public key from the .pub file.";
        }
        if (text.StartsWith("PuTTY-User-Key-File", StringComparison.Ordinal))
        {
            return "This is a private key; paste the .pub file.";
        }
        if (text.StartsWith("---- BEGIN SSH2 PUBLIC KEY", StringComparison.Ordinal))
        {
            return "This is an RFC 4716 (SSH2) public key; convert it with 'ssh-keygen -i -f <file>' and paste the result.";
        }
        if (text.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            return "Paste one key at a time; the input has more than one line.";
        }

        var parts = text.Split(Separators, 3, StringSplitOptions.RemoveEmptyEntries);
        algorithm = parts[0];
        if (algorithm == Dsa)
        {
            return "DSA keys are no longer accepted; use an Ed25519 key (ssh-keygen -t ed25519).";
        }
        if (algorithm.EndsWith(CertificateSuffix, StringComparison.Ordinal))
        {
            return "SSH certificates are not accepted; paste the plain public key.";
        }
        if (!Supported.Contains(algorithm))
        {
            return LooksLikeOptions(text)
                ? "Key options (such as command=\"…\" or no-pty) are not allowed; paste only the key, starting with its type (e.g. ssh-ed25519)."
                : $"Unsupported key type '{Echo(algorithm)}'; use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa (at least 2048 bits).";
        }
        if (parts.Length < 2)
        {
            return "The key data is missing; a key line looks like 'ssh-ed25519 AAAA… comment'.";
        }
        base64 = parts[1];
        if (parts.Length == 3)
        {
            var trimmed = parts[2].Trim();
            if (trimmed.Length > MaxCommentLength)
            {
                return $"The comment must be at most {MaxCommentLength} characters.";
            }
            if (trimmed.Any(char.IsControl))
            {
                return "The comment must not contain control characters.";
            }
            comment = trimmed.Length == 0 ? null : trimmed;
        }
        return null;
    }

    // authorized_keys options come before the key type: command="…" ssh-ed25519 …, no-pty,restrict ssh-rsa …
    private static bool LooksLikeOptions(string text)
    {
        var tokens = text.Split(Separators, StringSplitOptions.RemoveEmptyEntries);
        return tokens[0].AsSpan().IndexOfAny('=', '"', ',') >= 0
            || tokens.Skip(1).Any(token => Supported.Contains(token) || token == Dsa || token.EndsWith(CertificateSuffix, StringComparison.Ordinal));
    }

    private static string? DecodeBase64(string base64, out byte[] blob)
    {
        var buffer = new byte[(base64.Length / 4 + 1) * 3];
        if (!Convert.TryFromBase64String(base64, buffer, out var written))
        {
            blob = [];
            return "The key data is not valid base64.";
        }
        blob = buffer.AsSpan(0, written).ToArray();
        return null;
    }

    private static string? ReadBlob(string algorithm, byte[] blob, out int bits, out string? application)
    {
        bits = 0;
        application = null;
        var reader = new WireReader(blob);
        if (!reader.TryReadString(out var type))
        {
            return Malformed;
        }
        if (!type.SequenceEqual(Encoding.ASCII.GetBytes(algorithm)))
        {
            return $"The key type '{algorithm}' does not match the key data, which holds a '{Echo(Encoding.UTF8.GetString(type))}' key.";
        }

        var error = algorithm switch
        {
            Ed25519 => ReadEd25519(ref reader, out bits),
            SkEd25519 => ReadEd25519(ref reader, out bits) ?? ReadApplication(ref reader, out application),
            EcdsaP256 => ReadEcdsa(ref reader, "nistp256", ECCurve.NamedCurves.nistP256, 32, 256, out bits),
            EcdsaP384 => ReadEcdsa(ref reader, "nistp384", ECCurve.NamedCurves.nistP384, 48, 384, out bits),
            EcdsaP521 => ReadEcdsa(ref reader, "nistp521", ECCurve.NamedCurves.nistP521, 66, 521, out bits),
            SkEcdsaP256 => ReadEcdsa(ref reader, "nistp256", ECCurve.NamedCurves.nistP256, 32, 256, out bits)
                ?? ReadApplication(ref reader, out application),
            Rsa => ReadRsa(ref reader, out bits),
            _ => $"Unsupported key type '{Echo(algorithm)}'.",
        };
        if (error is not null)
        {
            return error;
        }
        return reader.IsAtEnd ? null : "The key data has unexpected trailing bytes.";
    }

    private static string? ReadEd25519(ref WireReader reader, out int bits)
    {
        bits = 256;
        if (!reader.TryReadString(out var publicKey))
        {
            return Malformed;
        }
        return publicKey.Length == Ed25519KeyLength ? null : "An Ed25519 public key must be 32 bytes.";
    }

    private static string? ReadEcdsa(ref WireReader reader, string curveName, ECCurve curve, int coordinateLength, int curveBits, out int bits)
    {
        bits = curveBits;
        if (!reader.TryReadString(out var name) || !reader.TryReadString(out var q))
        {
            return Malformed;
        }
        if (!name.SequenceEqual(Encoding.ASCII.GetBytes(curveName)))
        {
            return $"The key data names curve '{Echo(Encoding.UTF8.GetString(name))}', not {curveName}.";
        }
        if (q.Length != 1 + 2 * coordinateLength || q[0] != 0x04)
        {
            return "The ECDSA public key must be an uncompressed curve point.";
        }
        var parameters = new ECParameters
        {
            Curve = curve,
            Q = new ECPoint
            {
                X = q.Slice(1, coordinateLength).ToArray(),
                Y = q.Slice(1 + coordinateLength).ToArray(),
            },
        };
        try
        {
            // Import runs OpenSSL's key check: a point off the curve (or at infinity) throws.
            ECDsa.Create(parameters).Dispose();
        }
        catch (CryptographicException)
        {
            return "The ECDSA public key is not a valid point on its curve.";
        }
        return null;
    }

    private static string? ReadRsa(ref WireReader reader, out int bits)
    {
        bits = 0;
        if (!reader.TryReadPositiveMpint(out var exponent) || !reader.TryReadPositiveMpint(out var modulus))
        {
            return Malformed;
        }
        bits = modulus.IsEmpty ? 0 : (modulus.Length - 1) * 8 + 32 - BitOperations.LeadingZeroCount((uint)modulus[0]);
        if (bits < MinRsaBits)
        {
            return $"RSA keys must be at least {MinRsaBits} bits (this one is {bits}).";
        }
        if (bits > MaxRsaBits)
        {
            return $"RSA keys must be at most {MaxRsaBits} bits (this one is {bits}).";
        }
        if ((modulus[^1] & 1) == 0)
        {
            return "The RSA modulus is not valid.";
        }
        if (exponent.IsEmpty || (exponent[^1] & 1) == 0 || (exponent.Length == 1 && exponent[0] < 3) || exponent.Length > modulus.Length)
        {
            return "The RSA public exponent is not valid.";
        }
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportParameters(new RSAParameters { Exponent = exponent.ToArray(), Modulus = modulus.ToArray() });
        }
        catch (CryptographicException)
        {
            return "The RSA public key is not valid.";
        }
        return null;
    }

    private static string? ReadApplication(ref WireReader reader, out string? application)
    {
        application = null;
        if (!reader.TryReadString(out var bytes))
        {
            return Malformed;
        }
        if (bytes.Length > MaxApplicationLength || !Utf8.IsValid(bytes) || bytes.IndexOf((byte)0) >= 0)
        {
            return "The security key's application string is not valid.";
        }
        application = Encoding.UTF8.GetString(bytes);
        return application.Any(char.IsControl) ? "The security key's application string is not valid." : null;
    }

    // What we echo back is user input: printable ASCII only, and short.
    private static string Echo(string value)
    {
        var builder = new StringBuilder(MaxEchoLength + 1);
        foreach (var c in value)
        {
            if (builder.Length == MaxEchoLength)
            {
                builder.Append('…');
                break;
            }
            builder.Append(c is >= ' ' and <= '~' ? c : '?');
        }
        return builder.ToString();
    }

    /// <summary>Reads RFC 4251 types; every length is checked against what is left, nothing throws.</summary>
    private ref struct WireReader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _remaining = data;

        public readonly bool IsAtEnd => _remaining.IsEmpty;

        /// <summary>A uint32 big-endian length, then that many bytes.</summary>
        public bool TryReadString(out ReadOnlySpan<byte> value)
        {
            value = default;
            if (_remaining.Length < sizeof(uint))
            {
                return false;
            }
            var length = BinaryPrimitives.ReadUInt32BigEndian(_remaining);
            if (length > (uint)(_remaining.Length - sizeof(uint)))
            {
                return false;
            }
            value = _remaining.Slice(sizeof(uint), (int)length);
            _remaining = _remaining[(sizeof(uint) + (int)length)..];
            return true;
        }

        /// <summary>A two's-complement big-endian mpint that must not be negative; returns its magnitude without leading zeros.</summary>
        public bool TryReadPositiveMpint(out ReadOnlySpan<byte> magnitude)
        {
            if (!TryReadString(out magnitude) || (!magnitude.IsEmpty && (magnitude[0] & 0x80) != 0))
            {
                return false;
            }
            var firstNonZero = magnitude.IndexOfAnyExcept((byte)0);
            magnitude = firstNonZero < 0 ? [] : magnitude[firstNonZero..];
            return true;
        }
    }
}
