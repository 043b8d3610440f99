using System.ComponentModel.DataAnnotations;

namespace RemoteGpu.Core.Options;

/// <summary>Facts every service agrees on. Section <c>Platform</c>.</summary>
public sealed record PlatformOptions
{
    public const string SectionName = "Platform";

    /// <summary>
    /// The platform answers on this host; environments on <c>env-&lt;id&gt;.&lt;BaseDomain&gt;</c>.
    /// <c>localhost</c> by default: browsers and curl resolve <c>*.localhost</c> to loopback.
    /// </summary>
    [Required]
    [RegularExpression(@"^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$",
        ErrorMessage = "Platform:BaseDomain must be a lower-case DNS name such as gpu.example.com or localhost.")]
    public string BaseDomain { get; init; } = "localhost";

    /// <summary>
    /// Environments on <c>env-&lt;id&gt;.&lt;EnvironmentDomain&gt;</c>, a registrable domain apart from the platform's
    /// (<c>gpu-envs.example.net</c> beside <c>gpu.example.com</c>), as Coder and GitHub serve user content: a tenant's
    /// page is then another site than the platform and than the other tenants' pages for the browser, so SameSite
    /// cookies and the browser's site isolation stand between them. The production recommendation
    /// (docs/security.md). Empty: environments under <see cref="BaseDomain"/>.
    /// </summary>
    [RegularExpression(@"^(?=.{1,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$",
        ErrorMessage = "Platform:EnvironmentDomain must be a lower-case DNS name such as gpu-envs.example.net, or empty.")]
    public string? EnvironmentDomain { get; init; }

    /// <summary>The domain environments are sub-domains of: <see cref="EnvironmentDomain"/>, or <see cref="BaseDomain"/>.</summary>
    public string EnvironmentParent => string.IsNullOrEmpty(EnvironmentDomain) ? BaseDomain : EnvironmentDomain;

    /// <summary>
    /// The edge as users reach it (<c>https://gpu.example.com</c>, <c>http://localhost:5080</c>):
    /// its scheme and port carry over to <c>env-&lt;id&gt;.&lt;domain&gt;</c>. Defaults to http on the base domain.
    /// </summary>
    [Url]
    public string? EdgeUrl { get; init; }

    /// <summary>The edge as users reach it: <see cref="EdgeUrl"/>, or http on the base domain.</summary>
    public Uri Edge => new(EdgeUrl ?? $"http://{BaseDomain}");

    /// <summary>The host name of one environment.</summary>
    public string EnvironmentHost(string environmentId) => $"{environmentId}.{EnvironmentParent}";

    /// <summary>The URL of an environment's service path (<c>/jupyter/</c>, <c>/code/</c>) through the edge.</summary>
    public string EnvironmentUrl(string environmentId, string path)
    {
        var edge = Edge;
        return new UriBuilder(edge.Scheme, EnvironmentHost(environmentId), edge.IsDefaultPort ? -1 : edge.Port, path).Uri.ToString();
    }
}
