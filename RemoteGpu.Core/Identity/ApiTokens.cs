using System.Security.Cryptography;
using System.Text;

namespace RemoteGpu.Core.Identity;

/// <summary>Personal API tokens: <c>rgpu_</c> + 40 hex digits (160 bits from a CSPRNG).</summary>
public static class ApiTokens
{
    public const string Prefix = "rgpu_";
    private const int HexLength = 40;

    public static string New() => Prefix + RandomNumberGenerator.GetHexString(HexLength, lowercase: true);

    public static bool LooksLikeToken(string value) =>
        value.Length == Prefix.Length + HexLength && value.StartsWith(Prefix, StringComparison.Ordinal);

    public static string Hash(string token) => Sha256Hex(token);

    /// <summary>Shown in lists so an owner can tell tokens apart; too short to help a guesser.</summary>
    public static string DisplayPrefix(string token) => token[..(Prefix.Length + 6)];

    internal static string Sha256Hex(string value) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
