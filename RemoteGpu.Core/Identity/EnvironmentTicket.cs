using System.Buffers.Text;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;

namespace RemoteGpu.Core.Identity;

/// <summary>
/// The hand-off from the platform host to one environment host, as Coder does it for sub-domain apps:
/// the Api mints a ticket for a signed-in user who may use the environment; the edge on
/// <c>env-&lt;id&gt;.&lt;domain&gt;</c> redeems it once (GETDEL) within <see cref="Lifetime"/> and sets its own
/// host-only cookie (<see cref="PlatformAuthentication.EnvironmentScheme"/>). It works where the platform
/// cookie cannot reach the environment host (<c>localhost</c>), and everywhere else the same way.
/// Redis keeps what the ticket stands for under a hash of it, never the ticket itself. The environment
/// cookie belongs to the same server-side session as the platform cookie it came from (<see cref="SessionId"/>):
/// when that session ends, so does it.
/// </summary>
public sealed record EnvironmentTicket(
    Guid UserId, string UserName, string Role, Guid SecurityStamp, string EnvironmentId, string Method, Guid SessionId)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    /// <summary>Where the edge sends a browser without a session on an environment host: the Api, on the platform host.</summary>
    public const string HandOffPath = "/api/auth/environment-session";

    /// <summary>Where the edge redeems a ticket on an environment host: never forwarded to the workspace.</summary>
    public const string RedeemPath = "/.remotegpu/session";

    /// <summary>Where a hand-off lands when it names no (safe) path of its own.</summary>
    public const string DefaultReturnPath = "/jupyter/";

    /// <summary>Where a hand-off lands: the path it asked for when that is a path on the same host, else <see cref="DefaultReturnPath"/>.</summary>
    public static string ReturnPath(string? requested) => ReturnUrls.IsLocalPath(requested) ? requested : DefaultReturnPath;

    private const int TicketBytes = 32;

    /// <summary>32 bytes in base64url, without padding.</summary>
    private const int TicketLength = 43;

    public static RedisKey Key(string ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        return "remotegpu:environment-ticket:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(ticket)));
    }

    /// <summary>Stores this hand-off for <see cref="Lifetime"/> and returns the ticket (256 random bits) that redeems it.</summary>
    public async Task<string> IssueAsync(IDatabase redis)
    {
        ArgumentNullException.ThrowIfNull(redis);
        var ticket = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(TicketBytes));
        await redis.StringSetAsync(Key(ticket), JsonSerializer.Serialize(this, JsonSerializerOptions.Web), Lifetime);
        return ticket;
    }

    /// <summary>What the ticket stood for, once: the read deletes it. Null when it is malformed, unknown, expired or used.</summary>
    public static async Task<EnvironmentTicket?> RedeemAsync(IDatabase redis, string? ticket)
    {
        ArgumentNullException.ThrowIfNull(redis);
        if (ticket is not { Length: TicketLength } || !ticket.All(IsBase64UrlChar))
        {
            return null;
        }
        var value = await redis.StringGetDeleteAsync(Key(ticket));
        return value.HasValue ? JsonSerializer.Deserialize<EnvironmentTicket>(value.ToString(), JsonSerializerOptions.Web) : null;
    }

    /// <summary>The session the edge signs in on the environment host: the platform's claims, plus the environment it is good for.</summary>
    public ClaimsPrincipal ToPrincipal()
    {
        var principal = PlatformClaims.Create(
            new UserCredentialState(UserId, UserName, Role, SecurityStamp, IsDisabled: false),
            PlatformAuthentication.EnvironmentScheme, Method, enrolmentRequired: false, SessionId);
        ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(PlatformAuthentication.EnvironmentClaim, EnvironmentId));
        return principal;
    }

    private static bool IsBase64UrlChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';
}
