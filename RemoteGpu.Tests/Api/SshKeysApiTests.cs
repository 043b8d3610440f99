using System.Net;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Api;

[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class SshKeysApiTests(PlatformFixture platform) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("remotegpu-keys-").FullName;

    private async Task<(string PublicKey, string Fingerprint)> KeygenAsync(string type, int? bits = null)
    {
        var key = await SshKeygen.GenerateAsync(_dir, type, bits, "alice@laptop");
        return (key.PublicKey, key.Fingerprint);
    }

    [Fact]
    public async Task AddListDelete_WithTheFingerprintSshKeygenPrints()
    {
        var user = await platform.CreateUserAsync();
        var (publicKey, fingerprint) = await KeygenAsync("ed25519");

        using var added = await user.Client.PostAsync("/api/me/ssh-keys", new { public_key = publicKey });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var key = await ApiClient.ReadAsync(added);
        Assert.Equal(fingerprint, key.GetProperty("fingerprint").GetString());
        Assert.Equal("ssh-ed25519", key.GetProperty("algorithm").GetString());
        Assert.Equal("alice@laptop", key.GetProperty("name").GetString());

        var list = await ApiClient.ReadAsync(await user.Client.GetAsync("/api/me/ssh-keys"));
        Assert.Equal(fingerprint, Assert.Single(list.EnumerateArray()).GetProperty("fingerprint").GetString());

        Assert.Equal(HttpStatusCode.Conflict, (await user.Client.PostAsync("/api/me/ssh-keys", new { public_key = publicKey })).StatusCode);

        var other = await platform.CreateUserAsync();
        var id = key.GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.NotFound, (await other.Client.DeleteAsync($"/api/me/ssh-keys/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.DeleteAsync($"/api/me/ssh-keys/{id}")).StatusCode);
        Assert.Empty((await ApiClient.ReadAsync(await user.Client.GetAsync("/api/me/ssh-keys"))).EnumerateArray());
    }

    [Theory]
    [InlineData("ecdsa", 256, "ecdsa-sha2-nistp256")]
    [InlineData("rsa", 3072, "ssh-rsa")]
    public async Task OtherStrongKeyTypes_AreAccepted(string type, int bits, string algorithm)
    {
        var user = await platform.CreateUserAsync();
        var (publicKey, fingerprint) = await KeygenAsync(type, bits);

        var key = await ApiClient.ReadAsync(await user.Client.PostAsync("/api/me/ssh-keys", new { name = "work", public_key = publicKey }));

        Assert.Equal(algorithm, key.GetProperty("algorithm").GetString());
        Assert.Equal(bits, key.GetProperty("bits").GetInt32());
        Assert.Equal(fingerprint, key.GetProperty("fingerprint").GetString());
        Assert.Equal("work", key.GetProperty("name").GetString());
    }

    [Fact]
    public async Task AWeakRsaKey_Is400NamingTheField()
    {
        var user = await platform.CreateUserAsync();
        var (publicKey, _) = await KeygenAsync("rsa", 1024);

        using var response = await user.Client.PostAsync("/api/me/ssh-keys", new { public_key = publicKey });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = (await ApiClient.ReadAsync(response)).GetProperty("errors").GetProperty("public_key")[0].GetString();
        Assert.Contains("2048", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ssh-ed25519 AAAAnotbase64!!")]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==")]
    [InlineData("-----BEGIN OPENSSH PRIVATE KEY-----")]
    [InlineData("hello world")]
    [InlineData("")]
    public async Task AMalformedKey_Is400NamingTheField(string publicKey)
    {
        var user = await platform.CreateUserAsync();

        using var response = await user.Client.PostAsync("/api/me/ssh-keys", new { public_key = publicKey });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await ApiClient.ReadAsync(response)).GetProperty("errors").TryGetProperty("public_key", out _));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
