using System.Collections.Concurrent;
using RemoteGpu.Core.Idle;
using StackExchange.Redis;

namespace RemoteGpu.Proxy.Edge;

/// <summary>
/// Tells the idle probes that someone used an environment through the edge (DESIGN.md §10): the time of its latest
/// request, written to Redis at most once per <see cref="Resolution"/> per environment, without waiting for Redis.
/// Jupyter's own API polling (GET <c>/jupyter/api/…</c>, which an open but forgotten browser tab keeps sending) is not
/// use; its kernels' activity is probed in Jupyter itself. WebSocket upgrades are use.
/// </summary>
internal sealed class EdgeActivity(IConnectionMultiplexer redis, TimeProvider time)
{
    public static readonly TimeSpan Resolution = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, long> _written = new(StringComparer.Ordinal);

    public void Record(string environmentId, HttpRequest request)
    {
        if (IsPolling(request))
        {
            return;
        }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_written.TryGetValue(environmentId, out var last) && now - last < Resolution.TotalMilliseconds)
        {
            return;
        }
        _written[environmentId] = now;
        redis.GetDatabase().HashSet(EdgeActivityKeys.Hash, environmentId, now, flags: CommandFlags.FireAndForget);
    }

    internal static bool IsPolling(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && request.Path.StartsWithSegments("/jupyter/api", StringComparison.OrdinalIgnoreCase)
        && !request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase);
}
