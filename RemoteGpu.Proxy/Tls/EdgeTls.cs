using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.HttpsPolicy;
using RemoteGpu.Core.Options;

namespace RemoteGpu.Proxy.Tls;

/// <summary>
/// HTTPS at the edge (section <c>Edge:Tls</c>): a certificate for <c>&lt;domain&gt;</c> and
/// <c>*.&lt;environment domain&gt;</c> (one or two names, or two certificates' names in one) read from PEM files becomes Kestrel's certificate for every HTTPS endpoint
/// (<c>ASPNETCORE_URLS=https://+:443;http://+:80</c>); HTTPS answers carry HSTS; plain HTTP is sent to
/// HTTPS, except the health endpoints the orchestrator probes. Without certificate files the edge
/// serves plain HTTP, as local runs do.
/// </summary>
internal static class EdgeTls
{
    public const string SectionName = "Edge:Tls";

    public static void AddEdgeTls(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(SectionName).Get<EdgeTlsOptions>() ?? new EdgeTlsOptions();
        if (!options.Enabled)
        {
            return;
        }
        var platform = builder.Configuration.GetSection(PlatformOptions.SectionName).Get<PlatformOptions>() ?? new PlatformOptions();
        var certificate = Load(options, platform.BaseDomain, platform.EnvironmentParent);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate));
        builder.Services.AddHsts(hsts =>
        {
            hsts.MaxAge = options.HstsMaxAge;
            hsts.IncludeSubDomains = true;
            // The defaults exclude localhost; an edge with a certificate means what it says on any name.
            hsts.ExcludedHosts.Clear();
        });
        builder.Services.Configure<HttpsRedirectionOptions>(redirect =>
        {
            redirect.HttpsPort = options.HttpsPort;
            redirect.RedirectStatusCode = StatusCodes.Status308PermanentRedirect;
        });
    }

    public static void UseEdgeTls(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!(app.Configuration.GetSection(SectionName).Get<EdgeTlsOptions>()?.Enabled ?? false))
        {
            return;
        }
        app.UseWhen(context => !IsHealthProbe(context.Request.Path), branch => branch.UseHttpsRedirection());
        app.UseHsts();
    }

    private static bool IsHealthProbe(PathString path) =>
        path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/alive", StringComparison.OrdinalIgnoreCase);

    /// <summary>The certificate, or a start-up failure naming the setting and what is wrong with it.</summary>
    internal static X509Certificate2 Load(EdgeTlsOptions options, string domain, string? environmentDomain = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var (setting, path) in new[] { ("CertificatePath", options.CertificatePath), ("KeyPath", options.KeyPath) })
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                throw new InvalidOperationException($"{SectionName}:{setting} is required when {SectionName} is configured.");
            }
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"{SectionName}:{setting}: no file at '{path}'.");
            }
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(options.CertificatePath!, options.KeyPath);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException(
                $"{SectionName}: '{options.CertificatePath}' and '{options.KeyPath}' are not a PEM certificate and its matching private key: {ex.Message}", ex);
        }

        var now = DateTime.UtcNow;
        if (certificate.NotAfter.ToUniversalTime() <= now || certificate.NotBefore.ToUniversalTime() > now)
        {
            throw new InvalidOperationException(
                $"{SectionName}:CertificatePath: the certificate is valid from {certificate.NotBefore:u} to {certificate.NotAfter:u}, not now.");
        }
        environmentDomain ??= domain;
        foreach (var (host, needed) in new[] { (domain, domain), ($"env-example.{environmentDomain}", $"*.{environmentDomain}") })
        {
            if (!certificate.MatchesHostname(host))
            {
                throw new InvalidOperationException(
                    $"{SectionName}:CertificatePath: the certificate does not cover {host}; it needs {needed} among its names.");
            }
        }

        // Kestrel on Linux wants a key it can use without re-reading the PEM: export and re-import once.
        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
        }
    }
}

/// <summary>Section <c>Edge:Tls</c>.</summary>
internal sealed record EdgeTlsOptions
{
    /// <summary>The PEM certificate (chain) for <c>&lt;domain&gt;</c> and <c>*.&lt;domain&gt;</c>.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>Its PEM private key (PKCS#8, RSA or EC).</summary>
    public string? KeyPath { get; init; }

    /// <summary>Where plain HTTP is redirected.</summary>
    public int HttpsPort { get; init; } = 443;

    public TimeSpan HstsMaxAge { get; init; } = TimeSpan.FromDays(365);

    public bool Enabled => !string.IsNullOrWhiteSpace(CertificatePath) || !string.IsNullOrWhiteSpace(KeyPath);
}
