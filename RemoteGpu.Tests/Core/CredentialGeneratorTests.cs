using System.Text.RegularExpressions;
using RemoteGpu.Core.Credentials;
using RemoteGpu.Core.Identity;

namespace RemoteGpu.Tests.Core;

public sealed partial class CredentialGeneratorTests
{
    [Fact]
    public void NewPassword_Always16CharactersOfTheAlphabetWithEveryClass()
    {
        var seen = new HashSet<string>();
        for (var i = 0; i < 2000; i++)
        {
            var password = CredentialGenerator.NewPassword();
            Assert.Matches(PasswordShape(), password);
            Assert.Matches("[a-z]", password);
            Assert.Matches("[A-Z]", password);
            Assert.Matches("[0-9]", password);
            Assert.Matches("[!@#$%^&*]", password);
            seen.Add(password);
        }
        Assert.Equal(2000, seen.Count);
    }

    [Fact]
    public void NewPassword_UsesEveryCharacterOfTheAlphabet()
    {
        var used = new HashSet<char>();
        for (var i = 0; i < 2000; i++)
        {
            used.UnionWith(CredentialGenerator.NewPassword());
        }
        Assert.Equal(26 + 26 + 10 + 8, used.Count);
    }

    [Fact]
    public void NewEnvironmentId_IsEnvDashEightLowercaseHex()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => CredentialGenerator.NewEnvironmentId()).ToList();
        Assert.All(ids, id => Assert.Matches("^env-[0-9a-f]{8}$", id));
        Assert.True(ids.Distinct().Count() > 990);
    }

    [Fact]
    public void NewToken_Is32LowercaseHex()
    {
        Assert.Matches("^[0-9a-f]{32}$", CredentialGenerator.NewToken());
        Assert.NotEqual(CredentialGenerator.NewToken(), CredentialGenerator.NewToken());
    }

    [Fact]
    public void PasswordHasher_WritesBcrypt2bAtCost12AndVerifies()
    {
        var password = CredentialGenerator.NewPassword();
        var hash = PasswordHasher.Hash(password);

        Assert.StartsWith("$2b$12$", hash, StringComparison.Ordinal);
        Assert.True(PasswordHasher.Verify(password, hash));
        Assert.False(PasswordHasher.Verify(password + "x", hash));
    }

    [GeneratedRegex("^[a-zA-Z0-9!@#$%^&*]{16}$")]
    private static partial Regex PasswordShape();
}
