using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Data;

namespace RemoteGpu.Core.Identity;

/// <summary><c>Authorization: Bearer rgpu_…</c>: a personal API token, looked up by its hash.</summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    RemoteGpuDbContext db,
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

        var hash = ApiTokens.Hash(token);
        var now = time.GetUtcNow();
        var match = await db.ApiTokens
            .Where(t => t.TokenHash == hash)
            .Select(t => new { Token = t, t.User })
            .SingleOrDefaultAsync(Context.RequestAborted);

        if (match?.User is not { } user
            || user.IsDisabled
            || match.Token.SecurityStamp != user.SecurityStamp
            || match.Token.ExpiresAt <= now)
        {
            return AuthenticateResult.Fail("Invalid bearer token.");
        }

        if (match.Token.LastUsedAt is not { } lastUsed || now - lastUsed > LastUsedResolution)
        {
            await db.ApiTokens.Where(t => t.Id == match.Token.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), Context.RequestAborted);
        }

        var principal = PlatformClaims.Create(user, SchemeName, "token", enrolmentRequired: false);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }
}
