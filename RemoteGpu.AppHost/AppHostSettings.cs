using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace RemoteGpu.AppHost;

/// <summary>
/// How this AppHost runs the platform on a machine, section <c>RemoteGpu</c> (e.g. <c>--RemoteGpu:EdgePort=8080</c>
/// or <c>RemoteGpu__EdgePort=8080</c>). None of it reaches the manifest except the edge's port.
/// </summary>
internal sealed record AppHostSettings
{
    public const string SectionName = "RemoteGpu";

    /// <summary>Where the edge listens (<c>http://localhost:5080</c> by default).</summary>
    [Range(1, 65535)]
    public int EdgePort { get; init; } = 5080;

    /// <summary>
    /// Postgres and Redis from the stand-in images scripts/build-images.sh builds locally (see <see cref="StandInImages"/>),
    /// never pulled, instead of the official images: for machines without a registry. Run mode only.
    /// </summary>
    public bool StandInImages { get; init; }

    /// <summary>
    /// Postgres and Redis keep their data (users, environments, and the Data Protection key ring without which stored
    /// tokens cannot be read) in named volumes, across runs and restarts of either: <c>&lt;DataVolumes&gt;-postgres-data</c>
    /// and <c>&lt;DataVolumes&gt;-redis-data</c>. Default: Aspire's names for this AppHost. Tests name their own, to start clean.
    /// </summary>
    [RegularExpression("^[a-z0-9][a-z0-9_.-]{0,100}$")]
    public string? DataVolumes { get; init; }

    /// <summary>The volume of <paramref name="resource"/>'s data, or null for Aspire's own name.</summary>
    public string? DataVolumeName(string resource) => DataVolumes is null ? null : $"{DataVolumes}-{resource}-data";

    public static AppHostSettings Read(IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var settings = builder.Configuration.GetSection(SectionName).Get<AppHostSettings>() ?? new AppHostSettings();
        var errors = new List<ValidationResult>();
        if (!Validator.TryValidateObject(settings, new ValidationContext(settings), errors, validateAllProperties: true))
        {
            throw new InvalidOperationException(string.Join(" ", errors.Select(error => $"{SectionName}:{string.Join(",", error.MemberNames)}: {error.ErrorMessage}")));
        }
        return settings;
    }
}
