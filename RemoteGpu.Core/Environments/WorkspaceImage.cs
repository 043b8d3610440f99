namespace RemoteGpu.Core.Environments;

/// <summary>An image users may create environments from; admins manage the list.</summary>
public sealed class WorkspaceImage
{
    /// <summary>The image reference as the Docker host knows it, e.g. <c>remotegpu/workspace:cuda12</c>.</summary>
    public required string Name { get; set; }
    public required string DisplayName { get; set; }
    public string? Description { get; set; }
    public bool Enabled { get; set; } = true;
    public DateTimeOffset CreatedAt { get; set; }
}
