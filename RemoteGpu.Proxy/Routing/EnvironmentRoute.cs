using RemoteGpu.Core.Environments;

namespace RemoteGpu.Proxy.Routing;

/// <summary>
/// What the edge knows about one environment host: enough to answer 404/403/503 without a query (its
/// owner and live grants come with it), and where to forward. The Jupyter token stays protected until first needed, then is kept with the route; a
/// change to the row replaces the route, and with it the cached token.
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
    private string? _jupyterToken;

    public string EnvironmentId { get; } = environmentId;
    public EnvironmentStatus Status { get; } = status;
    public Guid OwnerId { get; } = ownerId;
    public string? JupyterUpstream { get; } = jupyterUpstream;
    public string? CodeServerUpstream { get; } = codeServerUpstream;
    public string? JupyterTokenProtected { get; } = jupyterTokenProtected;

    /// <summary>Whether <paramref name="userId"/> holds a grant that is still live at <paramref name="now"/>.</summary>
    public bool IsGranted(Guid userId, DateTimeOffset now) => grants.TryGetValue(userId, out var expires) && expires > now;

    public string? JupyterToken(EnvironmentSecrets secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (JupyterTokenProtected is null)
        {
            return null;
        }
        return _jupyterToken ??= secrets.Unprotect(JupyterTokenProtected);
    }
}
