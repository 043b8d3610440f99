namespace RemoteGpu.Core.Identity;

/// <summary>bcrypt at cost 12 (DESIGN.md §4, §8) for account and workspace passwords alike.</summary>
public static class PasswordHasher
{
    public const int WorkFactor = 12;

    public static string Hash(string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        // $2b$: the revision libxcrypt (chpasswd -e, sshd/PAM) in current Debian/Ubuntu images verifies.
        return BCrypt.Net.BCrypt.HashPassword(password, BCrypt.Net.BCrypt.GenerateSalt(WorkFactor, 'b'));
    }

    public static bool Verify(string password, string hash)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(hash);
        return BCrypt.Net.BCrypt.Verify(password, hash);
    }
}
