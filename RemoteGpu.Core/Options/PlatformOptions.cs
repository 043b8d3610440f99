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
}
