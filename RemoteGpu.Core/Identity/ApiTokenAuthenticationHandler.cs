using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RemoteGpu.Core.Identity;

/// <summary><c>Authorization: Bearer rgpu_…</c>: a personal API token, looked up by its hash.</summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ICredentialStore store,
    TimeProvider time) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";

    /// <summary>Last-used times are informational: one write a minute per token is plenty.</summary>
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        AuthenticateAsync(Request.Headers.Authorization.ToString(), store, time, Context.RequestAborted);

    /// <summary>
    /// The whole check of an <c>Authorization</c> header: this handler's, and the edge's, which calls it
    /// directly on every proxied request rather than through the authentication service (a request scope,
    /// a handler instance and a second ticket per request). <paramref name="principalFor"/> lets a caller
    /// that keeps user states reuse the principal it built for one; by default each call builds its own.
    /// </summary>
    public static async Task<AuthenticateResult> AuthenticateAsync(
        string authorization, ICredentialStore store, TimeProvider time, CancellationToken cancellationToken,
        Func<UserCredentialState, ClaimsPrincipal>? principalFor = null)
    {
        ArgumentNullException.ThrowIfNull(authorization);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var token = authorization["Bearer ".Length..].Trim();
        if (!ApiTokens.LooksLikeToken(token))
        {
            return AuthenticateResult.Fail("Malformed bearer token.");
        }

        var now = time.GetUtcNow();
        var match = await store.FindTokenAsync(ApiTokens.Hash(token), cancellationToken);
        if (match is null
            || match.ExpiresAt <= now
            || await store.FindUserAsync(match.UserId, cancellationToken) is not { } user
            || !user.Accepts(match.SecurityStamp))
        {
            return AuthenticateResult.Fail("Invalid bearer token.");
        }

        if (match.LastUsedAt is not { } lastUsed || now - lastUsed > LastUsedResolution)
        {
            await store.TouchTokenAsync(match, now, cancellationToken);
        }

        var principal = principalFor?.Invoke(user) ?? CreatePrincipal(user);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    /// <summary>Who a valid token of <paramref name="user"/> speaks for.</summary>
    public static ClaimsPrincipal CreatePrincipal(UserCredentialState user) =>
        PlatformClaims.Create(user, SchemeName, "token", enrolmentRequired: false);
}
