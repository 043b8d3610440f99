using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using OtpNet;
using RemoteGpu.Core.Identity;

namespace RemoteGpu.Api.Identity;

/// <summary>TOTP (RFC 6238, 30 s, 6 digits, SHA-1 as every authenticator app expects) and recovery codes.</summary>
internal sealed class TwoFactor(IDataProtectionProvider dataProtection, TimeProvider time)
{
    public const int RecoveryCodeCount = 10;
    private const string Issuer = "RemoteGpu";
    private const string RecoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789";

    private readonly IDataProtector _protector = dataProtection.CreateProtector("RemoteGpu.Totp.v1");

    public (string Secret, string Protected, string Uri) NewSecret(string userName)
    {
        var key = KeyGeneration.GenerateRandomKey(20);
        var secret = Base32Encoding.ToString(key);
        var uri = new OtpUri(OtpType.Totp, secret, userName, Issuer).ToString();
        return (secret, _protector.Protect(secret), uri);
    }

    /// <summary>The time step the code matched, or null. The caller refuses a step at or before the last one used.</summary>
    public long? Verify(string protectedSecret, string code)
    {
        if (code.Length != 6 || !code.All(char.IsAsciiDigit))
        {
            return null;
        }
        var totp = new Totp(Base32Encoding.ToBytes(_protector.Unprotect(protectedSecret)));
        return totp.VerifyTotp(time.GetUtcNow().UtcDateTime, code, out var step, VerificationWindow.RfcSpecifiedNetworkDelay)
            ? step
            : null;
    }

    /// <summary>For tests and clients that need the current code of a known secret.</summary>
    public string CurrentCode(string secret) => new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(time.GetUtcNow().UtcDateTime);

    /// <summary>Ten codes like <c>k7mq2-x9dpa</c> (50 bits each), shown once; only their hashes are kept.</summary>
    public static IReadOnlyList<string> NewRecoveryCodes() =>
        Enumerable.Range(0, RecoveryCodeCount)
            .Select(_ => RandomNumberGenerator.GetString(RecoveryAlphabet, 5) + "-" + RandomNumberGenerator.GetString(RecoveryAlphabet, 5))
            .ToList();

    public static string HashRecoveryCode(string code) =>
        ApiTokens.Hash(code.Trim().ToLowerInvariant().Replace(" ", "", StringComparison.Ordinal));

    public static bool LooksLikeRecoveryCode(string code) => code.Trim().Length == 11 && code.Trim()[5] == '-';
}
