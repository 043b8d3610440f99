using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using Npgsql;
using RemoteGpu.Core.Identity;
using RemoteGpu.Proxy.Edge;

namespace RemoteGpu.Proxy.Identity;

/// <summary>
/// The edge's users, tokens and sessions: read from Postgres once, then kept in memory, so an authenticated
/// request costs no query and a signed-in user keeps working while Postgres is down. Postgres says
/// when an entry is stale (the <c>remotegpu_users</c> and <c>remotegpu_sessions</c> NOTIFY, applied by the
/// route table's loader, which also re-reads every entry after each reconnection and on its interval). A
/// failed re-read keeps the last good entry: during an outage the edge answers as Postgres last said.
/// </summary>
internal sealed class CachedCredentialStore(
    IServiceScopeFactory scopes,
    IOptions<SecurityOptions> security,
    TimeProvider time,
    ILogger<CachedCredentialStore> logger) : ICredentialStore
{
    private static readonly TimeSpan MissTimeout = TimeSpan.FromSeconds(5);
    private static readonly ConditionalWeakTable<UserCredentialState, ClaimsPrincipal>.CreateValueCallback CreateTokenPrincipal =
        ApiTokenAuthenticationHandler.CreatePrincipal;

    private readonly ConcurrentDictionary<Guid, UserCredentialState> _users = new();
    private readonly ConcurrentDictionary<string, ApiTokenState> _tokens = new(StringComparer.Ordinal);

    /// <summary>Ended sessions stay too, so that replaying a signed-out cookie costs no query.</summary>
    private readonly ConcurrentDictionary<Guid, SessionState> _sessions = new();
    private readonly ConditionalWeakTable<UserCredentialState, ClaimsPrincipal> _tokenPrincipals = [];

    /// <summary>
    /// Bumped by every refresh: a read from Postgres that started before one may carry what the refresh
    /// replaced, so it answers its own request but is not kept.
    /// </summary>
    private long _generation;

    public int UserCount => _users.Count;

    public int TokenCount => _tokens.Count;

    public int SessionCount => _sessions.Count;

    public ValueTask<UserCredentialState?> FindUserAsync(Guid userId, CancellationToken cancellationToken) =>
        GetOrReadAsync(_users, userId, static (database, id, ct) => database.FindUserAsync(id, ct), cancellationToken);

    public ValueTask<ApiTokenState?> FindTokenAsync(string tokenHash, CancellationToken cancellationToken) =>
        GetOrReadAsync(_tokens, tokenHash, static (database, hash, ct) => database.FindTokenAsync(hash, ct), cancellationToken);

    public ValueTask<SessionState?> FindSessionAsync(Guid sessionId, CancellationToken cancellationToken) =>
        GetOrReadAsync(_sessions, sessionId, static (database, id, ct) => database.FindSessionAsync(id, ct), cancellationToken);

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

    /// <summary>
    /// Best effort, once per <see cref="SecurityOptions.SessionTouchInterval"/> per session, never in the request's
    /// way: a failed write only loses a timestamp.
    /// </summary>
    public ValueTask TouchSessionAsync(SessionState session, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!_sessions.TryUpdate(session.Id, session with { LastSeenAt = now }, session))
        {
            return ValueTask.CompletedTask; // Another request touched it first, or it was just refreshed.
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<DatabaseCredentialStore>().TouchSessionAsync(session, now, CancellationToken.None);
            }
            catch (Exception ex)
            {
                ProxyLog.SessionTouchFailed(logger, ex, UserSession.ShortId(session.Id));
            }
        }, CancellationToken.None);
        return ValueTask.CompletedTask;
    }

    /// <summary>Postgres said this user (or one of their tokens) changed: re-read what is cached of them.</summary>
    public Task RefreshUserAsync(Guid userId, CancellationToken cancellationToken) =>
        RefreshAsync([userId], [.. _tokens.Values.Where(t => t.UserId == userId).Select(t => t.TokenHash)], [], cancellationToken);

    /// <summary>
    /// Postgres said this session changed (it ended): re-read it if it is cached. Either way a read of it
    /// already under way may carry what changed, so it is not kept.
    /// </summary>
    public Task RefreshSessionAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _generation);
        return _sessions.ContainsKey(sessionId) ? RefreshAsync([], [], [sessionId], cancellationToken) : Task.CompletedTask;
    }

    /// <summary>
    /// Re-read every cached entry (after a reconnection, when notifications may have been missed), first
    /// forgetting the sessions no unexpired cookie can name any more: should one come back, it is read again.
    /// </summary>
    public Task RefreshAllAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var options = security.Value;
        foreach (var session in _sessions.Values)
        {
            if (session.IsPast(now, options.SessionLifetime, options.SessionTouchInterval))
            {
                _sessions.TryRemove(KeyValuePair.Create(session.Id, session));
            }
        }
        return RefreshAsync([.. _users.Keys], [.. _tokens.Keys], [.. _sessions.Keys], cancellationToken);
    }

    private async Task RefreshAsync(
        IReadOnlyCollection<Guid> userIds, IReadOnlyCollection<string> tokenHashes, IReadOnlyCollection<Guid> sessionIds, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _generation);
        await using var scope = scopes.CreateAsyncScope();
        var database = scope.ServiceProvider.GetRequiredService<DatabaseCredentialStore>();
        var users = userIds.Count == 0 ? [] : (await database.FindUsersAsync(userIds, cancellationToken)).ToDictionary(u => u.Id);
        var tokens = tokenHashes.Count == 0 ? [] : (await database.FindTokensAsync(tokenHashes, cancellationToken)).ToDictionary(t => t.TokenHash, StringComparer.Ordinal);
        var sessions = sessionIds.Count == 0 ? [] : (await database.FindSessionsAsync(sessionIds, cancellationToken)).ToDictionary(s => s.Id);

        // Only after every read succeeded: a failure leaves every entry as it was.
        Replace(_users, userIds, users);
        Replace(_tokens, tokenHashes, tokens);
        Replace(_sessions, sessionIds, sessions);
    }

    /// <summary>Each of <paramref name="keys"/> as Postgres now has it, or gone where Postgres has it no more.</summary>
    private static void Replace<TKey, T>(ConcurrentDictionary<TKey, T> cache, IReadOnlyCollection<TKey> keys, Dictionary<TKey, T> read)
        where TKey : notnull
    {
        foreach (var key in keys)
        {
            if (read.TryGetValue(key, out var value))
            {
                cache[key] = value;
            }
            else
            {
                cache.TryRemove(key, out _);
            }
        }
    }
}
