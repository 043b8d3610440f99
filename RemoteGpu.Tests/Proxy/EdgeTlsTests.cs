using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using RemoteGpu.Core.Environments;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Proxy;

/// <summary>
/// HTTPS at the edge from PEM files: a second edge process for the domain <c>remotegpu.localhost</c>
/// with a wildcard certificate for it and <c>*.remotegpu.localhost</c> (TLS clients refuse a wildcard
/// directly under a single label, such as <c>*.localhost</c>) serves both the platform host and environment hosts over
/// TLS with HSTS, sends plain HTTP to HTTPS (health probes excepted), and the Api behind it sees the
/// original scheme (its session cookie is Secure). Bad certificate settings stop the edge at start
/// with a message naming the setting.
/// </summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class EdgeTlsTests(PlatformFixture platform) : IDisposable
{
    private const string Domain = "remotegpu.localhost";
    private readonly string _directory = Directory.CreateTempSubdirectory("remotegpu-tls-").FullName;

    [Fact]
    public async Task WithAWildcardCertificate_TheEdgeServesHttpsWithHsts_AndRedirectsPlainHttp()
    {
        var (certificatePath, keyPath, thumbprint) = WriteCertificate([Domain, "*." + Domain], TimeSpan.FromDays(1));
        var httpsPort = Ports.Free();
        await using var edge = await platform.StartExtraProxyAsync($"https://127.0.0.1:{httpsPort}",
            ("Platform__BaseDomain", Domain),
            ("Edge__Tls__CertificatePath", certificatePath),
            ("Edge__Tls__KeyPath", keyPath),
            ("Edge__Tls__HttpsPort", httpsPort.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var owner = await platform.CreateUserAsync();
        var bearer = await EdgeDriver.CreateTokenAsync(owner.Client);
        var id = await platform.CreateEnvironmentRowAsync(owner.Id, EnvironmentStatus.Running);

        X509Certificate2? served = null;
        var errors = SslPolicyErrors.None;
        using var https = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectCallback = (_, ct) => ConnectLoopbackAsync(httpsPort, ct),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, policyErrors) =>
                {
                    served = certificate is null ? null : new X509Certificate2(certificate);
                    errors = policyErrors;
                    // Self-signed, so the chain is untrusted; the name must still match.
                    return served?.Thumbprint == thumbprint && (policyErrors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None;
                },
            },
        });

        // An environment host over HTTPS: the route answers (503: a row without upstream), with HSTS.
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"https://{id}.{Domain}:{httpsPort}/jupyter/api/status"))
        {
            request.Headers.Authorization = new("Bearer", bearer);
            using var response = await https.SendAsync(request);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("no address", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal("max-age=31536000; includeSubDomains", response.Headers.GetValues("Strict-Transport-Security").Single());
        }
        Assert.Equal(thumbprint, served?.Thumbprint);
        Assert.Equal(SslPolicyErrors.None, errors & SslPolicyErrors.RemoteCertificateNameMismatch);

        // The platform host over HTTPS reaches the Api, which learns the scheme: its session cookie is Secure.
        using (var login = new HttpRequestMessage(HttpMethod.Post, $"https://{Domain}:{httpsPort}/api/auth/login"))
        {
            login.Content = JsonContent.Create(new { user_name = owner.UserName, password = owner.Password });
            using var response = await https.SendAsync(login);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("remotegpu_session=", StringComparison.Ordinal));
            Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.True(response.Headers.Contains("Strict-Transport-Security"));
        }

        // Plain HTTP is sent to HTTPS, path and query kept; health probes are not.
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { BaseAddress = edge.Address };
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/jupyter/lab?reset"))
        {
            request.Headers.Host = $"{id}.{Domain}:{edge.Address.Port}";
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.PermanentRedirect, response.StatusCode);
            Assert.Equal(new Uri($"https://{id}.{Domain}:{httpsPort}/jupyter/lab?reset"), response.Headers.Location);
            Assert.False(response.Headers.Contains("Strict-Transport-Security"));
        }
        using (var health = await http.GetAsync(new Uri("/health", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
    }

    [Theory]
    [InlineData("wrong-name", "does not cover")]
    [InlineData("expired", "not now")]
    [InlineData("missing-key", "Edge:Tls:KeyPath: no file")]
    [InlineData("mismatched-key", "not a PEM certificate and its matching private key")]
    public async Task BadCertificateSettings_StopTheEdgeAtStart_NamingTheSetting(string problem, string expected)
    {
        var (certificatePath, keyPath, _) = problem switch
        {
            "wrong-name" => WriteCertificate(["example.org", "*.example.org"], TimeSpan.FromDays(1)),
            "expired" => WriteCertificate([Domain, "*." + Domain], TimeSpan.FromDays(-1)),
            _ => WriteCertificate([Domain, "*." + Domain], TimeSpan.FromDays(1)),
        };
        if (problem == "missing-key")
        {
            keyPath = Path.Combine(_directory, "absent.key");
        }
        if (problem == "mismatched-key")
        {
            keyPath = WriteCertificate([Domain, "*." + Domain], TimeSpan.FromDays(1)).KeyPath;
        }

        var start = platform.ServiceStartInfo("RemoteGpu.Proxy", $"http://127.0.0.1:{Ports.Free()}");
        start.Environment["Platform__BaseDomain"] = Domain;
        start.Environment["Edge__Tls__CertificatePath"] = certificatePath;
        start.Environment["Edge__Tls__KeyPath"] = keyPath;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.NotEqual(0, process.ExitCode);
        var output = await stdout + await stderr;
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private (string CertificatePath, string KeyPath, string Thumbprint) WriteCertificate(string[] names, TimeSpan validFor)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        var alternativeNames = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            alternativeNames.AddDnsName(name);
        }
        request.CertificateExtensions.Add(alternativeNames.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        var (notBefore, notAfter) = validFor > TimeSpan.Zero ? (now.AddMinutes(-5), now + validFor) : (now + validFor * 2, now + validFor);
        using var certificate = request.CreateSelfSigned(notBefore, notAfter);

        var stem = Path.Combine(_directory, Guid.NewGuid().ToString("N"));
        File.WriteAllText(stem + ".crt", certificate.ExportCertificatePem());
        File.WriteAllText(stem + ".key", key.ExportPkcs8PrivateKeyPem());
        return (stem + ".crt", stem + ".key", certificate.Thumbprint);
    }

    private static async ValueTask<Stream> ConnectLoopbackAsync(int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
        return new NetworkStream(socket, ownsSocket: true);
    }
}
