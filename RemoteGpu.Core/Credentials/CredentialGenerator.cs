using System.Buffers;
using System.Security.Cryptography;

namespace RemoteGpu.Core.Credentials;

/// <summary>Secrets drawn from a CSPRNG (DESIGN.md §4).</summary>
public static class CredentialGenerator
{
    public const int PasswordLength = 16;

    private const string Lower = "abcdefghijklmnopqrstuvwxyz";
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Digits = "0123456789";
    private const string Symbols = "!@#$%^&*";
    private const string Alphabet = Lower + Upper + Digits + Symbols;

    private static readonly SearchValues<char>[] CharacterClasses =
        [SearchValues.Create(Lower), SearchValues.Create(Upper), SearchValues.Create(Digits), SearchValues.Create(Symbols)];

    /// <summary>16 characters from <c>[a-zA-Z0-9!@#$%^&amp;*]</c>, at least one of each class.</summary>
    public static string NewPassword()
    {
        // Rejection sampling keeps every accepted password uniform over the valid set.
        while (true)
        {
            var candidate = RandomNumberGenerator.GetString(Alphabet, PasswordLength);
            if (Array.TrueForAll(CharacterClasses, characterClass => candidate.AsSpan().ContainsAny(characterClass)))
            {
                return candidate;
            }
        }
    }

    /// <summary><c>env-</c> + 8 lowercase hex digits: unique enough to retry on collision, DNS-safe.</summary>
    public static string NewEnvironmentId() => "env-" + RandomNumberGenerator.GetHexString(8, lowercase: true);

    /// <summary>32 lowercase hex digits (128 bits), e.g. Jupyter's token.</summary>
    public static string NewToken() => RandomNumberGenerator.GetHexString(32, lowercase: true);
}
