using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using RemoteGpu.Core.Options;

namespace RemoteGpu.Api.Identity;

/// <summary>
/// Where a sign-in may send the browser afterwards, so that no link to our login page can bounce a user
/// to someone else's site (open redirect): a path on this host, or an http(s) URL on the platform host or
/// on an environment host <c>env-&lt;id&gt;.&lt;BaseDomain&gt;</c>. Anything else is ignored.
/// </summary>
internal static partial class ReturnUrls
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
        if (!Uri.TryCreate(returnUrl, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.UserInfo.Length > 0)
        {
            return null;
        }
        var host = uri.IdnHost;
        return host.Equals(platform.BaseDomain, StringComparison.OrdinalIgnoreCase) || IsEnvironmentHost(host, platform.BaseDomain)
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

    /// <summary>An environment id as the platform makes them: <c>env-</c> and 8 lower-case hex digits.</summary>
    public static bool IsEnvironmentId([NotNullWhen(true)] string? id) => id is not null && EnvironmentId().IsMatch(id);

    private static bool IsEnvironmentHost(string host, string baseDomain) =>
        host.EndsWith("." + baseDomain, StringComparison.OrdinalIgnoreCase)
        && IsEnvironmentId(host[..(host.Length - baseDomain.Length - 1)]);

    private static bool IsUnsafeChar(char c) => char.IsControl(c) || char.IsWhiteSpace(c);

    [GeneratedRegex(@"^env-[0-9a-f]{8}\z")]
    private static partial Regex EnvironmentId();
}
