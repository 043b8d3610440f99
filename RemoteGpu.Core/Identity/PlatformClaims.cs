using System.Security.Claims;

namespace RemoteGpu.Core.Identity;

/// <summary>The claims a platform session or API token carries, and how to read them back.</summary>
public static class PlatformClaims
{
    public const string SecurityStamp = "remotegpu:stamp";

    /// <summary>Present while a user whom policy requires to use a second factor has not enrolled one yet.</summary>
    public const string TwoFactorEnrolmentRequired = "remotegpu:2fa_enrol";

    /// <summary>How the caller authenticated: <c>pwd</c>, <c>pwd+otp</c>, <c>pwd+recovery</c> or <c>token</c>.</summary>
    public const string AuthenticationMethod = "amr";

    /// <summary>
    /// The server-side session (<see cref="UserSession"/>) a cookie belongs to, the platform's and every environment
    /// cookie handed off from it alike; a cookie without one is not accepted. API tokens have none.
    /// </summary>
    public const string SessionId = "remotegpu:sid";

    public static ClaimsPrincipal Create(User user, string scheme, string method, bool enrolmentRequired, Guid? sessionId = null)
    {
        ArgumentNullException.ThrowIfNull(user);
        return Create(new UserCredentialState(user.Id, user.UserName, user.Role, user.SecurityStamp, user.IsDisabled), scheme, method, enrolmentRequired, sessionId);
    }

    public static ClaimsPrincipal Create(UserCredentialState user, string scheme, string method, bool enrolmentRequired, Guid? sessionId = null)
    {
        ArgumentNullException.ThrowIfNull(user);
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, user.Id.ToString()),
            new(ClaimTypes.Name, user.UserName),
            new(ClaimTypes.Role, user.Role),
            new(SecurityStamp, user.SecurityStamp.ToString()),
            new(AuthenticationMethod, method),
        };
        if (sessionId is { } session)
        {
            claims.Add(new Claim(SessionId, session.ToString()));
        }
        if (enrolmentRequired)
        {
            claims.Add(new Claim(TwoFactorEnrolmentRequired, "true"));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    public static Guid UserId(this ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var id)
            ? id
            : throw new InvalidOperationException("The caller is not authenticated.");
    }

    public static Guid? Stamp(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(SecurityStamp), out var stamp) ? stamp : null;

    /// <summary>The server-side session a cookie belongs to; null for an API token (or a cookie from before sessions, which is refused).</summary>
    public static Guid? Session(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(SessionId), out var session) ? session : null;
}
