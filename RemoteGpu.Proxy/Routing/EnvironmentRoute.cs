using RemoteGpu.Core.Environments;
using RemoteGpu.Proxy.Edge;

namespace RemoteGpu.Proxy.Routing;

/// <summary>
/// What the edge knows about one environment host: enough to answer 404/403/503 without a query (its
/// owner and live grants come with it), and where to forward. The Jupyter token stays protected until first needed, then is kept with the route (in its
/// transformer); a change to the row replaces the route, and with it the cached token.
/// </summary>
internal sealed class EnvironmentRoute(
    string environmentId,
    EnvironmentStatus status,
    Guid ownerId,
    string? jupyterUpstream,
    string? codeServerUpstream,
    string? jupyterTokenProtected,
    IReadOnlyDictionary<Guid, DateTimeOffset> grants)
{
    private EdgeTransformer? _jupyterTransformer;

    public string EnvironmentId { get; } = environmentId;
    public EnvironmentStatus Status { get; } = status;
    public Guid OwnerId { get; } = ownerId;
    public string? JupyterUpstream { get; } = jupyterUpstream;
    public string? CodeServerUpstream { get; } = codeServerUpstream;
    public string? JupyterTokenProtected { get; } = jupyterTokenProtected;

    /// <summary>Whether <paramref name="userId"/> holds a grant that is still live at <paramref name="now"/>.</summary>
    public bool IsGranted(Guid userId, DateTimeOffset now) => grants.TryGetValue(userId, out var expires) && expires > now;

    /// <summary>How requests to this environment's Jupyter are shaped, its token unprotected once and kept with the route.</summary>
    public EdgeTransformer JupyterTransformer(EnvironmentSecrets secrets, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        return _jupyterTransformer ??= new EdgeTransformer(string.Empty,
            JupyterTokenProtected is null ? null : secrets.Unprotect(JupyterTokenProtected), logger);
    }
}
