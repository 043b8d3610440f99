using System.ComponentModel.DataAnnotations;

namespace RemoteGpu.Proxy.Edge;

/// <summary>How the edge keeps its routes. Section <c>Edge</c>.</summary>
internal sealed record EdgeOptions
{
    public const string SectionName = "Edge";

    /// <summary>The safety net under LISTEN/NOTIFY: a full reload of the route table this often.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan FullReloadInterval { get; init; } = TimeSpan.FromSeconds(30);
}
