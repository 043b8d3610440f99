using System.ComponentModel.DataAnnotations;

namespace RemoteGpu.Api.Database;

/// <summary>The first administrator. Section <c>Bootstrap</c>; the AppHost passes its <c>admin-password</c> parameter here.</summary>
internal sealed record BootstrapOptions
{
    public const string SectionName = "Bootstrap";

    [Required]
    [RegularExpression("^[a-z][a-z0-9_.-]{1,31}$")]
    public string AdminUserName { get; init; } = "admin";

    /// <summary>
    /// Needed only while the database has no user at all, to create the first administrator; the AppHost passes its
    /// <c>admin-password</c> parameter (generated and kept in its user secrets when not given).
    /// </summary>
    [MinLength(8)]
    public string? AdminPassword { get; init; }
}
