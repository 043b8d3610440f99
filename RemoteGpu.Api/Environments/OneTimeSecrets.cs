using System.Security.Cryptography;
using System.Text;
using RemoteGpu.Core.Environments;
using StackExchange.Redis;

namespace RemoteGpu.Api.Environments;

/// <summary>
/// Short-lived secrets in Redis, protected with the platform's Data Protection keys: the SSH
/// password the owner may reveal once within 24 h (GETDEL), and the stored first response of a
/// create made with an Idempotency-Key (it holds that password too).
/// </summary>
internal sealed class OneTimeSecrets(IConnectionMultiplexer redis, EnvironmentSecrets secrets)
{
    public static readonly TimeSpan RevealLifetime = TimeSpan.FromHours(24);
    private const string Pending = "pending";

    private static RedisKey RevealKey(string environmentId) => $"remotegpu:reveal:{environmentId}";

    private static RedisKey IdempotencyKey(Guid userId, string key) =>
        $"remotegpu:idempotency:{userId}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))}";

    public Task StorePasswordAsync(string environmentId, string password) =>
        redis.GetDatabase().StringSetAsync(RevealKey(environmentId), secrets.Protect(password), RevealLifetime);

    /// <summary>The password, once: the read deletes it.</summary>
    public async Task<string?> TakePasswordAsync(string environmentId)
    {
        var value = await redis.GetDatabase().StringGetDeleteAsync(RevealKey(environmentId));
        return value.HasValue ? secrets.Unprotect(value!) : null;
    }

    public Task ForgetPasswordAsync(string environmentId) => redis.GetDatabase().KeyDeleteAsync(RevealKey(environmentId));

    /// <summary>Claims the key for this request; false when another request holds or has completed it.</summary>
    public Task<bool> TryBeginAsync(Guid userId, string key) =>
        redis.GetDatabase().StringSetAsync(IdempotencyKey(userId, key), Pending, RevealLifetime, When.NotExists);

    /// <summary>The stored response JSON; null while the first request is still running.</summary>
    public async Task<(bool Exists, string? Response)> FindAsync(Guid userId, string key)
    {
        var value = await redis.GetDatabase().StringGetAsync(IdempotencyKey(userId, key));
        return !value.HasValue ? (false, null) : value == Pending ? (true, null) : (true, secrets.Unprotect(value!));
    }

    public Task CompleteAsync(Guid userId, string key, string responseJson) =>
        redis.GetDatabase().StringSetAsync(IdempotencyKey(userId, key), secrets.Protect(responseJson), RevealLifetime);

    public Task AbandonAsync(Guid userId, string key) => redis.GetDatabase().KeyDeleteAsync(IdempotencyKey(userId, key));
}
