using Microsoft.Extensions.Options;
using RemoteGpu.Core.Identity;
using StackExchange.Redis;

namespace RemoteGpu.Api.Identity;

/// <summary>
/// Locks a user name after <see cref="SecurityOptions.LockoutThreshold"/> consecutive failures, for
/// <see cref="SecurityOptions.LockoutDuration"/>. Kept in Redis, shared by every Api instance, and
/// keyed by the name as typed — names that do not exist lock the same way, so a lockout reveals nothing.
/// </summary>
internal sealed class LoginThrottle(IConnectionMultiplexer redis, IOptions<SecurityOptions> options)
{
    private static RedisKey FailuresKey(string userName) => $"remotegpu:login:failures:{userName}";
    private static RedisKey LockKey(string userName) => $"remotegpu:login:locked:{userName}";

    public async Task<bool> IsLockedAsync(string userName) =>
        await redis.GetDatabase().KeyExistsAsync(LockKey(userName));

    public async Task RecordFailureAsync(string userName)
    {
        var db = redis.GetDatabase();
        var settings = options.Value;
        var failures = await db.StringIncrementAsync(FailuresKey(userName));
        await db.KeyExpireAsync(FailuresKey(userName), settings.LockoutDuration);
        if (failures >= settings.LockoutThreshold)
        {
            await db.StringSetAsync(LockKey(userName), "1", settings.LockoutDuration);
            await db.KeyDeleteAsync(FailuresKey(userName));
        }
    }

    public Task RecordSuccessAsync(string userName) => redis.GetDatabase().KeyDeleteAsync(FailuresKey(userName));
}
