using System.Buffers.Binary;
using System.Diagnostics;
using RemoteGpu.Core.Identity;

namespace RemoteGpu.Tests.Core;

public sealed class SshPublicKeyTests(SshPublicKeyTests.KeyFiles keys) : IClassFixture<SshPublicKeyTests.KeyFiles>
{
    [Theory]
    [InlineData("ed25519", "ssh-ed25519", 256)]
    [InlineData("ecdsa256", "ecdsa-sha2-nistp256", 256)]
    [InlineData("ecdsa384", "ecdsa-sha2-nistp384", 384)]
    [InlineData("ecdsa521", "ecdsa-sha2-nistp521", 521)]
    [InlineData("rsa2048", "ssh-rsa", 2048)]
    [InlineData("rsa4096", "ssh-rsa", 4096)]
    public void TryParse_KeyFromSshKeygen_AcceptedWithAlgorithmBitsAndComment(string name, string algorithm, int bits)
    {
        var line = keys.PublicLine(name);

        Assert.True(SshPublicKey.TryParse(line, out var key, out var error), error);
        Assert.Equal(algorithm, key.Algorithm);
        Assert.Equal(bits, key.Bits);
        Assert.Equal($"{name} user@laptop work", key.Comment);
        var fields = line.Split(' ');
        Assert.Equal($"{fields[0]} {fields[1]}", key.CanonicalLine);
        Assert.Equal(Convert.FromBase64String(fields[1]), key.Blob.ToArray());
    }

    [Theory]
    [InlineData("ed25519")]
    [InlineData("ecdsa256")]
    [InlineData("ecdsa384")]
    [InlineData("ecdsa521")]
    [InlineData("rsa2048")]
    [InlineData("rsa4096")]
    public void Fingerprint_EqualsWhatSshKeygenPrints(string name)
    {
        Assert.True(SshPublicKey.TryParse(keys.PublicLine(name), out var key, out var error), error);

        Assert.Equal(KeyFiles.SshKeygenFingerprint(keys.PublicPath(name)), key.Fingerprint);
    }

    [Fact]
    public void TryParse_NoComment_CommentIsNull()
    {
        var fields = keys.PublicLine("ed25519").Split(' ');

        Assert.True(SshPublicKey.TryParse($"{fields[0]} {fields[1]}", out var key, out var error), error);
        Assert.Null(key.Comment);
    }

    [Fact]
    public void TryParse_SurroundingWhitespaceTabsAndCrLf_AcceptedAndTrimmed()
    {
        var fields = keys.PublicLine("ed25519").Split(' ');

        Assert.True(SshPublicKey.TryParse($"  {fields[0]}\t{fields[1]}   my key  \r\n", out var key, out var error), error);
        Assert.Equal("my key", key.Comment);
        Assert.Equal($"{fields[0]} {fields[1]}", key.CanonicalLine);
    }

    [Fact]
    public void TryParse_SameLineTwice_KeysAreEqual()
    {
        Assert.True(SshPublicKey.TryParse(keys.PublicLine("ecdsa256"), out var first, out _));
        Assert.True(SshPublicKey.TryParse(keys.PublicLine("ecdsa256"), out var second, out _));

        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    [Fact]
    public void TryParse_SecurityKeyEd25519_AcceptedWithApplication()
    {
        var publicKey = keys.Blob("ed25519")[^32..];
        var line = Line("sk-ssh-ed25519@openssh.com", Str("sk-ssh-ed25519@openssh.com"), Str(publicKey), Str("ssh:"));
        var path = keys.Write("sk-ed25519.pub", line + " yubikey");

        Assert.True(SshPublicKey.TryParse(line + " yubikey", out var key, out var error), error);
        Assert.Equal("sk-ssh-ed25519@openssh.com", key.Algorithm);
        Assert.Equal(256, key.Bits);
        Assert.Equal("ssh:", key.Application);
        Assert.Equal("yubikey", key.Comment);
        Assert.Equal(KeyFiles.SshKeygenFingerprint(path), key.Fingerprint);
    }

    [Fact]
    public void TryParse_SecurityKeyEcdsa_AcceptedWithApplication()
    {
        var point = keys.Blob("ecdsa256")[^65..];
        var line = Line("sk-ecdsa-sha2-nistp256@openssh.com",
            Str("sk-ecdsa-sha2-nistp256@openssh.com"), Str("nistp256"), Str(point), Str("ssh:work"));
        var path = keys.Write("sk-ecdsa.pub", line);

        Assert.True(SshPublicKey.TryParse(line, out var key, out var error), error);
        Assert.Equal("sk-ecdsa-sha2-nistp256@openssh.com", key.Algorithm);
        Assert.Equal(256, key.Bits);
        Assert.Equal("ssh:work", key.Application);
        Assert.Equal(KeyFiles.SshKeygenFingerprint(path), key.Fingerprint);
    }

    [Fact]
    public void TryParse_SecurityKeyWithoutApplication_Refused()
    {
        var publicKey = keys.Blob("ed25519")[^32..];

        AssertRefused(Line("sk-ssh-ed25519@openssh.com", Str("sk-ssh-ed25519@openssh.com"), Str(publicKey)));
    }

    [Fact]
    public void TryParse_Rsa1024_RefusedMentioning2048()
    {
        var error = AssertRefused(keys.PublicLine("rsa1024"));

        Assert.Equal("RSA keys must be at least 2048 bits (this one is 1024).", error);
    }

    [Fact]
    public void TryParse_RsaOver16384Bits_Refused()
    {
        byte[] modulus = [0x00, .. Enumerable.Repeat((byte)0xFF, 2051)];

        var error = AssertRefused(Line("ssh-rsa", Str("ssh-rsa"), Str([0x01, 0x00, 0x01]), Str(modulus)));

        Assert.Contains("16384", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_RsaNegativeModulus_Refused()
    {
        var blob = keys.Blob("rsa2048");
        // ssh-rsa (4+7 bytes), e = 65537 (4+3), then n's length and n: 257 bytes, the leading 0x00 keeping it positive.
        var n = blob[22..];
        Assert.Equal(0x00, n[0]);
        byte[] negative = [.. n[1..]];

        AssertRefused(Line("ssh-rsa", Str("ssh-rsa"), Str([0x01, 0x00, 0x01]), Str(negative)));
    }

    [Fact]
    public void TryParse_DsaKey_Refused()
    {
        var line = keys.PublicLineOrNull("dsa")
            ?? Line("ssh-dss", Str("ssh-dss"), Str([0x00, 0xC1]), Str([0x11]), Str([0x02]), Str([0x05]));

        var error = AssertRefused(line);

        Assert.Contains("DSA keys are no longer accepted", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_PrivateKeyFile_Refused()
    {
        var error = AssertRefused(File.ReadAllText(keys.PrivatePath("ed25519")));

        Assert.Contains("private key", error, StringComparison.Ordinal);
        Assert.Contains(".pub", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_CorruptedBase64_Refused()
    {
        var fields = keys.PublicLine("ed25519").Split(' ');

        var error = AssertRefused($"{fields[0]} {fields[1][..20]}!{fields[1][21..]}");

        Assert.Contains("base64", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_TruncatedBlob_Refused()
    {
        var blob = keys.Blob("ed25519");

        AssertRefused($"ssh-ed25519 {Convert.ToBase64String(blob[..^5])}");
    }

    [Fact]
    public void TryParse_BlobWithTrailingBytes_Refused()
    {
        byte[] blob = [.. keys.Blob("ecdsa256"), 0x00];

        var error = AssertRefused($"ecdsa-sha2-nistp256 {Convert.ToBase64String(blob)}");

        Assert.Contains("trailing", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_LengthPrefixBeyondBuffer_Refused()
    {
        byte[] blob = [0xFF, 0xFF, 0xFF, 0xFF, .. "ssh-ed25519"u8];

        AssertRefused($"ssh-ed25519 {Convert.ToBase64String(blob)}");
    }

    [Fact]
    public void TryParse_Ed25519KeyOfWrongLength_Refused()
    {
        AssertRefused(Line("ssh-ed25519", Str("ssh-ed25519"), Str(new byte[31])));
    }

    [Theory]
    [InlineData("ssh-rsa", "ed25519")]
    [InlineData("ecdsa-sha2-nistp384", "ecdsa256")]
    [InlineData("ssh-ed25519", "rsa2048")]
    public void TryParse_AlgorithmNameDiffersFromBlob_Refused(string claimed, string actual)
    {
        var fields = keys.PublicLine(actual).Split(' ');

        var error = AssertRefused($"{claimed} {fields[1]}");

        Assert.Contains("does not match", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_EcdsaCurveNameDiffersFromAlgorithm_Refused()
    {
        var point = keys.Blob("ecdsa256")[^65..];

        var error = AssertRefused(Line("ecdsa-sha2-nistp256", Str("ecdsa-sha2-nistp256"), Str("nistp384"), Str(point)));

        Assert.Contains("nistp384", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ecdsa256")]
    [InlineData("ecdsa384")]
    [InlineData("ecdsa521")]
    public void TryParse_EcdsaPointNotOnCurve_Refused(string name)
    {
        var blob = keys.Blob(name);
        blob[^1] ^= 0x01;
        blob[^2] ^= 0x80;
        var algorithm = keys.PublicLine(name).Split(' ')[0];

        var error = AssertRefused($"{algorithm} {Convert.ToBase64String(blob)}");

        Assert.Contains("not a valid point", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_EcdsaCompressedPoint_Refused()
    {
        var point = keys.Blob("ecdsa256")[^65..];
        byte[] compressed = [(byte)(2 + (point[^1] & 1)), .. point[1..33]];

        AssertRefused(Line("ecdsa-sha2-nistp256", Str("ecdsa-sha2-nistp256"), Str("nistp256"), Str(compressed)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\r\n ")]
    public void TryParse_EmptyOrWhitespace_Refused(string? line)
    {
        AssertRefused(line);
    }

    [Fact]
    public void TryParse_TwoKeysOnTwoLines_Refused()
    {
        var error = AssertRefused(keys.PublicLine("ed25519") + "\n" + keys.PublicLine("ecdsa256"));

        Assert.Contains("more than one line", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("command=\"/bin/true\" ")]
    [InlineData("command=\"echo hello world\" ")]
    [InlineData("no-pty ")]
    [InlineData("restrict,pty ")]
    [InlineData("from=\"10.0.0.0/8\" ")]
    public void TryParse_OptionsPrefix_Refused(string options)
    {
        var error = AssertRefused(options + keys.PublicLine("ed25519"));

        Assert.Contains("options", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_TwentyKiBInput_Refused()
    {
        var line = keys.PublicLine("ed25519") + " " + new string('a', 20 * 1024);

        var error = AssertRefused(line);

        Assert.Contains("16 KiB", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_CommentOver256Characters_Refused()
    {
        AssertRefused(keys.PublicLine("ed25519") + " " + new string('c', 257));
    }

    [Fact]
    public void TryParse_UnknownAlgorithm_RefusedNamingItTruncated()
    {
        var algorithm = "ssh-quantum-" + new string('x', 200);

        var error = AssertRefused($"{algorithm} AAAA");

        Assert.Contains("ssh-quantum-xxxx", error, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', 50), error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_KeyTypeWithoutData_Refused()
    {
        AssertRefused("ssh-ed25519");
    }

    [Fact]
    public void TryParse_RandomMutationsOfValidKeys_NeverThrow()
    {
        var random = new Random(20261122);
        string[] names = ["ed25519", "ecdsa256", "ecdsa521", "rsa2048"];
        var parsed = 0;
        for (var i = 0; i < 2000; i++)
        {
            var name = names[i % names.Length];
            var line = i % 5 == 4 ? MutateText(random, keys.PublicLine(name)) : MutateBlob(random, name);

            var accepted = SshPublicKey.TryParse(line, out var key, out var error);

            if (accepted)
            {
                Assert.NotNull(key);
                parsed++;
            }
            else
            {
                Assert.False(string.IsNullOrWhiteSpace(error));
            }
        }
        // Most mutations must be refused; a parser that accepts everything would not notice them.
        Assert.InRange(parsed, 0, 1000);
    }

    private string MutateBlob(Random random, string name)
    {
        var blob = keys.Blob(name).ToList();
        for (var edits = random.Next(1, 4); edits > 0 && blob.Count > 0; edits--)
        {
            var at = random.Next(blob.Count);
            switch (random.Next(5))
            {
                case 0:
                    blob[at] = (byte)random.Next(256);
                    break;
                case 1:
                    blob[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 2:
                    blob.RemoveRange(at, blob.Count - at);
                    break;
                case 3:
                    blob.Insert(at, (byte)random.Next(256));
                    break;
                default:
                    // A large big-endian number anywhere, so that length prefixes point past the end.
                    for (var b = at; b < Math.Min(at + 4, blob.Count); b++)
                    {
                        blob[b] = (byte)(b == at ? random.Next(128, 256) : random.Next(256));
                    }
                    break;
            }
        }
        var algorithm = keys.PublicLine(name).Split(' ')[0];
        return $"{algorithm} {Convert.ToBase64String(blob.ToArray())} fuzz";
    }

    private static string MutateText(Random random, string line)
    {
        var chars = line.ToCharArray();
        for (var edits = random.Next(1, 4); edits > 0; edits--)
        {
            chars[random.Next(chars.Length)] = (char)random.Next(0, 128);
        }
        return new string(chars);
    }

    private static string AssertRefused(string? line)
    {
        var accepted = SshPublicKey.TryParse(line, out var key, out var error);

        Assert.False(accepted, $"accepted: {key}");
        Assert.Null(key);
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
        return error;
    }

    private static byte[] Str(string value) => Str(System.Text.Encoding.ASCII.GetBytes(value));

    private static byte[] Str(byte[] value)
    {
        var result = new byte[4 + value.Length];
        BinaryPrimitives.WriteUInt32BigEndian(result, (uint)value.Length);
        value.CopyTo(result, 4);
        return result;
    }

    private static string Line(string algorithm, params byte[][] fields) =>
        $"{algorithm} {Convert.ToBase64String(fields.SelectMany(field => field).ToArray())}";

    /// <summary>Real keys from ssh-keygen, generated once per test class into a temporary directory.</summary>
    public sealed class KeyFiles : IDisposable
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("remotegpu-sshkeys-").FullName;
        private readonly Dictionary<string, string> _publicLines = [];

        public KeyFiles()
        {
            Generate("ed25519", "ed25519", null);
            Generate("ecdsa256", "ecdsa", 256);
            Generate("ecdsa384", "ecdsa", 384);
            Generate("ecdsa521", "ecdsa", 521);
            Generate("rsa2048", "rsa", 2048);
            Generate("rsa4096", "rsa", 4096);
            Generate("rsa1024", "rsa", 1024);
            // Newer OpenSSH builds can no longer generate DSA keys; the DSA test crafts a blob then.
            TryGenerate("dsa", "dsa", null);
        }

        public string PublicPath(string name) => Path.Combine(_directory, name + ".pub");

        public string PrivatePath(string name) => Path.Combine(_directory, name);

        public string PublicLine(string name) => _publicLines[name];

        public string? PublicLineOrNull(string name) => _publicLines.GetValueOrDefault(name);

        /// <summary>A fresh copy of the key's blob, safe to modify.</summary>
        public byte[] Blob(string name) => Convert.FromBase64String(PublicLine(name).Split(' ')[1]);

        public string Write(string fileName, string content)
        {
            var path = Path.Combine(_directory, fileName);
            File.WriteAllText(path, content + "\n");
            return path;
        }

        public static string SshKeygenFingerprint(string publicKeyPath)
        {
            var (exitCode, output) = RunSshKeygen("-lf", publicKeyPath, "-E", "sha256");
            Assert.True(exitCode == 0, output);
            // "256 SHA256:AbC… comment (ED25519)"
            return output.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        }

        public void Dispose() => Directory.Delete(_directory, recursive: true);

        private void Generate(string name, string type, int? bits)
        {
            var error = TryGenerate(name, type, bits);
            if (error is not null)
            {
                throw new InvalidOperationException($"ssh-keygen -t {type} failed (is openssh-client installed?): {error}");
            }
        }

        private string? TryGenerate(string name, string type, int? bits)
        {
            List<string> arguments = ["-q", "-t", type, "-N", "", "-C", $"{name} user@laptop work", "-f", PrivatePath(name)];
            if (bits is { } size)
            {
                arguments.AddRange(["-b", size.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            }
            var (exitCode, output) = RunSshKeygen([.. arguments]);
            if (exitCode != 0 || !File.Exists(PublicPath(name)))
            {
                return output;
            }
            _publicLines[name] = File.ReadAllText(PublicPath(name)).TrimEnd('\n');
            return null;
        }

        private static (int ExitCode, string Output) RunSshKeygen(params string[] arguments)
        {
            var startInfo = new ProcessStartInfo("ssh-keygen")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in arguments)
            {
                startInfo.ArgumentList.Add(argument);
            }
            using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("ssh-keygen did not start.");
            process.StandardInput.Close();
            // ssh-keygen writes a line or two; reading one stream to the end before the other cannot fill a pipe.
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
    }
}
