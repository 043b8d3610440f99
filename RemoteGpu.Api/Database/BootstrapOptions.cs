using System.ComponentModel.DataAnnotations;

namespace RemoteGpu.Api.Database;

/// <summary>The first administrator. Section <c>Bootstrap</c>; the AppHost passes its <c>admin-password</c> parameter here.</summary>
internal sealed record BootstrapOptions
{
    public const string SectionName = "Bootstrap";

    [Required]
    [RegularExpression("^[a-z][a-z0-9_.-]{1,31}$")]
    public string AdminUserName { get; init; } = "admin";

    /// <summary>When absent, a password is generated and printed once to the console.</summary>
    [MinLength(8)]
    public string? AdminPassword { get; init; }
}
