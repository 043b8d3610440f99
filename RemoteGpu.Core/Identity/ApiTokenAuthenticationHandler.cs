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
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var token = header["Bearer ".Length..].Trim();
        if (!ApiTokens.LooksLikeToken(token))
        {
            return AuthenticateResult.Fail("Malformed bearer token.");
        }

        var now = time.GetUtcNow();
        var match = await store.FindTokenAsync(ApiTokens.Hash(token), Context.RequestAborted);
        if (match is null
            || match.ExpiresAt <= now
            || await store.FindUserAsync(match.UserId, Context.RequestAborted) is not { } user
            || !user.Accepts(match.SecurityStamp))
        {
            return AuthenticateResult.Fail("Invalid bearer token.");
        }

        if (match.LastUsedAt is not { } lastUsed || now - lastUsed > LastUsedResolution)
        {
            await store.TouchTokenAsync(match, now, Context.RequestAborted);
        }

        var principal = PlatformClaims.Create(user, SchemeName, "token", enrolmentRequired: false);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }
}
