using System.ComponentModel.DataAnnotations;

namespace RemoteGpu.Core.Environments;

/// <summary>How users reach into a workspace. Section <c>Workspace</c>.</summary>
public sealed record WorkspaceOptions
{
    public const string SectionName = "Workspace";

    /// <summary>The non-root account inside every workspace (DESIGN.md §4).</summary>
    [Required]
    [RegularExpression("^[a-z_][a-z0-9_-]{0,31}$")]
    public string UserName { get; init; } = "remotegpu";

    /// <summary>
    /// The host users SSH to. Unset: the environment's own domain (<c>env-&lt;id&gt;.&lt;domain&gt;</c>,
    /// a wildcard DNS record pointing at the GPU host).
    /// </summary>
    public string? SshHost { get; init; }
}
