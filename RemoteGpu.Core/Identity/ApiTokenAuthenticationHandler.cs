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

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var check = await CheckAsync(Request.Headers.Authorization.ToString(), store, time, Context.RequestAborted);
        return check.User is { } user ? AuthenticateResult.Success(new AuthenticationTicket(CreatePrincipal(user), SchemeName))
            : check.Failure is { } failure ? AuthenticateResult.Fail(failure)
            : AuthenticateResult.NoResult();
    }

    /// <summary>
    /// The whole check of an <c>Authorization</c> header: this handler's, and the edge's, which calls it
    /// directly on every proxied request rather than through the authentication service (a request scope,
    /// a handler instance, a ticket and a result per request) and keeps a principal per cached user.
    /// </summary>
    public static async ValueTask<ApiTokenCheck> CheckAsync(
        string authorization, ICredentialStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(authorization);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return default;
        }

        var token = authorization["Bearer ".Length..].Trim();
        if (!ApiTokens.LooksLikeToken(token))
        {
            return ApiTokenCheck.Fail("Malformed bearer token.");
        }

        var now = time.GetUtcNow();
        var match = await store.FindTokenAsync(ApiTokens.Hash(token), cancellationToken);
        if (match is null
            || match.ExpiresAt <= now
            || await store.FindUserAsync(match.UserId, cancellationToken) is not { } user
            || !user.Accepts(match.SecurityStamp))
        {
            return ApiTokenCheck.Fail("Invalid bearer token.");
        }

        if (match.LastUsedAt is not { } lastUsed || now - lastUsed > LastUsedResolution)
        {
            await store.TouchTokenAsync(match, now, cancellationToken);
        }
        return new ApiTokenCheck(match, user, Failure: null);
    }

    /// <summary>Who a valid token of <paramref name="user"/> speaks for.</summary>
    public static ClaimsPrincipal CreatePrincipal(UserCredentialState user) =>
        PlatformClaims.Create(user, SchemeName, "token", enrolmentRequired: false);
}

/// <summary>
/// What <see cref="ApiTokenAuthenticationHandler.CheckAsync"/> found: no bearer token at all (<c>default</c>:
/// other schemes may speak), a bearer token that fails (<see cref="Failure"/>), or a valid one and the user it
/// speaks for.
/// </summary>
public readonly record struct ApiTokenCheck(ApiTokenState? Token, UserCredentialState? User, string? Failure)
{
    /// <summary>No bearer token was presented.</summary>
    public bool IsNone => User is null && Failure is null;

    public static ApiTokenCheck Fail(string failure) => new(null, null, failure);
}
