using System.Diagnostics.CodeAnalysis;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Options;

namespace RemoteGpu.Core.Identity;

/// <summary>
/// Where a sign-in may send the browser afterwards, so that no link to our login page can bounce a user
/// to someone else's site (open redirect): a path on this host, or a URL on the platform host or on an
/// environment host <c>env-&lt;id&gt;.&lt;BaseDomain&gt;</c> with the edge's own scheme and port
/// (<see cref="PlatformOptions.Edge"/>): another port on the same host is another service. Anything else is ignored.
/// </summary>
public static class ReturnUrls
{
    /// <summary><paramref name="returnUrl"/> when it is safe to redirect to, otherwise null.</summary>
    public static string? Safe(string? returnUrl, PlatformOptions platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        if (string.IsNullOrEmpty(returnUrl) || returnUrl.Length > 2048 || returnUrl.Any(IsUnsafeChar))
        {
            return null;
        }
        if (IsLocalPath(returnUrl))
        {
            return returnUrl;
        }
        var edge = platform.Edge;
        if (!Uri.TryCreate(returnUrl, UriKind.Absolute, out var uri)
            || uri.Scheme != edge.Scheme
            || uri.Port != edge.Port
            || uri.UserInfo.Length > 0)
        {
            return null;
        }
        var host = uri.IdnHost;
        return host.Equals(platform.BaseDomain, StringComparison.OrdinalIgnoreCase) || IsEnvironmentHost(host, platform.EnvironmentParent)
            ? uri.AbsoluteUri
            : null;
    }

    /// <summary>
    /// A path on this host: <c>/…</c>, but not <c>//host</c> or <c>/\host</c>, which browsers read as
    /// another host. Control characters and spaces are refused before this (browsers drop tabs and
    /// new lines, turning <c>/&#9;/evil</c> into <c>//evil</c>).
    /// </summary>
    public static bool IsLocalPath([NotNullWhen(true)] string? path) =>
        path is { Length: > 0 } && path[0] == '/'
        && (path.Length == 1 || (path[1] != '/' && path[1] != '\\'))
        && !path.Any(IsUnsafeChar);

    private static bool IsEnvironmentHost(string host, string parent) =>
        host.EndsWith("." + parent, StringComparison.OrdinalIgnoreCase)
        && EnvironmentIds.IsValid(host[..(host.Length - parent.Length - 1)]);

    private static bool IsUnsafeChar(char c) => char.IsControl(c) || char.IsWhiteSpace(c);
}
