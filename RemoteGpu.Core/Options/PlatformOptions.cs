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
    /// The edge as users reach it (<c>https://gpu.example.com</c>, <c>http://localhost:5080</c>):
    /// its scheme and port carry over to <c>env-&lt;id&gt;.&lt;domain&gt;</c>. Defaults to http on the base domain.
    /// </summary>
    [Url]
    public string? EdgeUrl { get; init; }

    /// <summary>The edge as users reach it: <see cref="EdgeUrl"/>, or http on the base domain.</summary>
    public Uri Edge => new(EdgeUrl ?? $"http://{BaseDomain}");

    /// <summary>The domain of one environment.</summary>
    public string EnvironmentHost(string environmentId) => $"{environmentId}.{BaseDomain}";

    /// <summary>The URL of an environment's service path (<c>/jupyter/</c>, <c>/code/</c>) through the edge.</summary>
    public string EnvironmentUrl(string environmentId, string path)
    {
        var edge = Edge;
        return new UriBuilder(edge.Scheme, EnvironmentHost(environmentId), edge.IsDefaultPort ? -1 : edge.Port, path).Uri.ToString();
    }
}
