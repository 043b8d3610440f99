using System.Security.Claims;

namespace RemoteGpu.Proxy.Edge;

/// <summary>
/// Who is calling an environment host, as the edge needs it on every request: the principal, the user's id and
/// whether they are an admin (read once, not from the claims on each use), the session the credential
/// stands for (the token's hash, or a hash of the session cookie), which keys the access audit, and whether a
/// cookie carried it (a browser's, which any site's page can make it send).
/// </summary>
internal readonly record struct EdgeCaller(ClaimsPrincipal Principal, Guid UserId, bool IsAdmin, string Session, bool ByCookie);
