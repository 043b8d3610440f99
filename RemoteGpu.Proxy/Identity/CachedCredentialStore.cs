using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using Npgsql;
using RemoteGpu.Core.Identity;
using RemoteGpu.Proxy.Edge;

namespace RemoteGpu.Proxy.Identity;

/// <summary>
/// The edge's users and tokens: read from Postgres once, then kept in memory, so an authenticated
/// request costs no query and a signed-in user keeps working while Postgres is down. Postgres says
/// when an entry is stale (the <c>remotegpu_users</c> NOTIFY, applied by the route table's loader,
/// which also re-reads every entry after each reconnection and on its interval). A failed re-read
/// keeps the last good entry: during an outage the edge answers as Postgres last said.
/// </summary>
internal sealed class CachedCredentialStore(IServiceScopeFactory scopes, ILogger<CachedCredentialStore> logger) : ICredentialStore
{
    private static readonly TimeSpan MissTimeout = TimeSpan.FromSeconds(5);
    private static readonly ConditionalWeakTable<UserCredentialState, ClaimsPrincipal>.CreateValueCallback CreateTokenPrincipal =
        ApiTokenAuthenticationHandler.CreatePrincipal;

    private readonly ConcurrentDictionary<Guid, UserCredentialState> _users = new();
    private readonly ConcurrentDictionary<string, ApiTokenState> _tokens = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<UserCredentialState, ClaimsPrincipal> _tokenPrincipals = [];

    /// <summary>
    /// Bumped by every refresh: a read from Postgres that started before one may carry what the refresh
    /// replaced, so it answers its own request but is not kept.
    /// </summary>
    private long _generation;

    public int UserCount => _users.Count;

    public int TokenCount => _tokens.Count;

    public ValueTask<UserCredentialState?> FindUserAsync(Guid userId, CancellationToken cancellationToken) =>
        GetOrReadAsync(_users, userId, static (database, id, ct) => database.FindUserAsync(id, ct), cancellationToken);

    public ValueTask<ApiTokenState?> FindTokenAsync(string tokenHash, CancellationToken cancellationToken) =>
        GetOrReadAsync(_tokens, tokenHash, static (database, hash, ct) => database.FindTokenAsync(hash, ct), cancellationToken);

    /// <summary>
    /// Who a token of this cached user speaks for, built once per cached state: a refresh replaces the
    /// state, and with it the principal. Shared by concurrent requests, so never to be modified.
    /// </summary>
    public ClaimsPrincipal TokenPrincipal(UserCredentialState user) => _tokenPrincipals.GetValue(user, CreateTokenPrincipal);

    /// <summary>The cached entry (without allocating), or the one read from Postgres, kept unless a refresh started meanwhile.</summary>
    private ValueTask<T?> GetOrReadAsync<TKey, T>(
        ConcurrentDictionary<TKey, T> cache,
        TKey key,
        Func<DatabaseCredentialStore, TKey, CancellationToken, ValueTask<T?>> read,
        CancellationToken cancellationToken)
        where TKey : notnull
        where T : class =>
        cache.TryGetValue(key, out var cached) ? ValueTask.FromResult<T?>(cached) : ReadAndKeepAsync(cache, key, read, cancellationToken);

    private async ValueTask<T?> ReadAndKeepAsync<TKey, T>(
        ConcurrentDictionary<TKey, T> cache,
        TKey key,
        Func<DatabaseCredentialStore, TKey, CancellationToken, ValueTask<T?>> read,
        CancellationToken cancellationToken)
        where TKey : notnull
        where T : class
    {
        var generation = Interlocked.Read(ref _generation);
        var value = await ReadAsync(read, key, cancellationToken);
        if (value is not null && Interlocked.Read(ref _generation) == generation)
        {
            cache.TryAdd(key, value);
        }
        return value;
    }

    /// <summary>
    /// A credential not seen yet, from Postgres; if Postgres does not answer within
    /// <see cref="MissTimeout"/> (the context retries transient failures), the edge says 503 rather than
    /// hold the request or call the caller a stranger.
    /// </summary>
    private async Task<T?> ReadAsync<TKey, T>(
        Func<DatabaseCredentialStore, TKey, CancellationToken, ValueTask<T?>> read, TKey key, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(MissTimeout);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            return await read(scope.ServiceProvider.GetRequiredService<DatabaseCredentialStore>(), key, timeout.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested
            && ex is OperationCanceledException or NpgsqlException or InvalidOperationException or TimeoutException)
        {
            throw new EdgeUnavailableException("the credential store (Postgres) cannot be reached to check these credentials", ex);
        }
    }

    /// <summary>Best effort, once a minute per token, never in the request's way: a failed write only loses a timestamp.</summary>
    public ValueTask TouchTokenAsync(ApiTokenState token, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (!_tokens.TryUpdate(token.TokenHash, token with { LastUsedAt = now }, token))
        {
            return ValueTask.CompletedTask; // Another request touched it first, or it was just refreshed.
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<DatabaseCredentialStore>().TouchTokenAsync(token, now, CancellationToken.None);
            }
            catch (Exception ex)
            {
                ProxyLog.TokenTouchFailed(logger, ex, token.Id);
            }
        }, CancellationToken.None);
        return ValueTask.CompletedTask;
    }

    /// <summary>Postgres said this user (or one of their tokens) changed: re-read what is cached of them.</summary>
    public Task RefreshUserAsync(Guid userId, CancellationToken cancellationToken) =>
        RefreshAsync([userId], [.. _tokens.Values.Where(t => t.UserId == userId).Select(t => t.TokenHash)], cancellationToken);

    /// <summary>Re-read every cached entry (after a reconnection, when notifications may have been missed).</summary>
    public Task RefreshAllAsync(CancellationToken cancellationToken) =>
        RefreshAsync([.. _users.Keys], [.. _tokens.Keys], cancellationToken);

    private async Task RefreshAsync(IReadOnlyCollection<Guid> userIds, IReadOnlyCollection<string> tokenHashes, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _generation);
        await using var scope = scopes.CreateAsyncScope();
        var database = scope.ServiceProvider.GetRequiredService<DatabaseCredentialStore>();
        var users = userIds.Count == 0 ? [] : (await database.FindUsersAsync(userIds, cancellationToken)).ToDictionary(u => u.Id);
        var tokens = tokenHashes.Count == 0 ? [] : (await database.FindTokensAsync(tokenHashes, cancellationToken)).ToDictionary(t => t.TokenHash, StringComparer.Ordinal);

        // Only after both reads succeeded: a failure leaves every entry as it was.
        foreach (var id in userIds)
        {
            if (users.TryGetValue(id, out var user))
            {
                _users[id] = user;
            }
            else
            {
                _users.TryRemove(id, out _);
            }
        }
        foreach (var hash in tokenHashes)
        {
            if (tokens.TryGetValue(hash, out var token))
            {
                _tokens[hash] = token;
            }
            else
            {
                _tokens.TryRemove(hash, out _);
            }
        }
    }
}
