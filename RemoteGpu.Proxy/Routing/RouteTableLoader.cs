using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Identity;
using RemoteGpu.Proxy.Edge;
using RemoteGpu.Proxy.Identity;

namespace RemoteGpu.Proxy.Routing;

/// <summary>
/// Keeps <see cref="RouteTable"/> and the <see cref="CachedCredentialStore"/> in step with Postgres
/// (DESIGN.md §7): <c>LISTEN remotegpu_environments</c> (environments, access rows and grants) for
/// single-host updates within milliseconds, <c>LISTEN remotegpu_users</c> for users and tokens,
/// <c>LISTEN remotegpu_sessions</c> for sessions that end (logout, revoked, disabled user), and a
/// full load after every (re)connection and on an interval as the safety net. A failed load keeps the
/// last good table; a lost listening connection is re-opened with backoff. One loop applies every
/// change, in order.
/// </summary>
internal sealed class RouteTableLoader(
    NpgsqlDataSource dataSource,
    RouteTable table,
    CachedCredentialStore credentials,
    IOptions<EdgeOptions> options,
    TimeProvider time,
    ILogger<RouteTableLoader> logger) : BackgroundService
{
    public const string Channel = "remotegpu_environments";
    public const string UsersChannel = "remotegpu_users";
    public const string SessionsChannel = "remotegpu_sessions";

    private const string SelectRoutes = """
        SELECT e.id, e.status, e.owner_id, a.jupyter_upstream, a.code_server_upstream, a.jupyter_token_protected,
               g.grantees, g.expiries
        FROM environments e
        LEFT JOIN access_info a ON a.environment_id = e.id
        LEFT JOIN LATERAL (
            SELECT array_agg(user_id) AS grantees, array_agg(expires_at) AS expiries
            FROM environment_grants WHERE environment_id = e.id AND expires_at > now()) g ON true
        WHERE e.status <> 'Deleted'
        """;

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    /// <summary>An environment or user to refresh, or a full load.</summary>
    private readonly Channel<Change> _changes = System.Threading.Channels.Channel.CreateUnbounded<Change>(
        new UnboundedChannelOptions { SingleReader = true });

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(ApplyLoopAsync(stoppingToken), ListenLoopAsync(stoppingToken), ReloadTimerAsync(stoppingToken));

    private async Task ReloadTimerAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.FullReloadInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                _changes.Writer.TryWrite(Change.Everything);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private async Task ListenLoopAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // Npgsql does not abandon a connection attempt when the token is cancelled: a stop must not wait out
                // the connect timeout against a Postgres that has gone (DCP stops Postgres and the edge together).
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).AsTask().WaitAsync(cancellationToken);
                connection.Notification += (_, e) => _changes.Writer.TryWrite(new Change(e.Channel, e.Payload));
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}; LISTEN {UsersChannel}; LISTEN {SessionsChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }
                ProxyLog.Listening(logger, $"{Channel}, {UsersChannel}, {SessionsChannel}");
                backoff = TimeSpan.FromMilliseconds(200);

                // Listening first, then loading: no change can fall between the two.
                _changes.Writer.TryWrite(Change.Everything);
                while (true)
                {
                    await connection.WaitAsync(cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
            {
                ProxyLog.ListenFailed(logger, ex, backoff);
                // Postgres went away (a restart, a failover): the idle pooled connections went with it,
                // and a change loaded over one of them would be lost until the next full reload.
                dataSource.Clear();
                try
                {
                    await Task.Delay(backoff, time, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    private async Task ApplyLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var change in _changes.Reader.ReadAllAsync(cancellationToken))
            {
                try
                {
                    switch (change.Channel)
                    {
                        case null:
                            await LoadAllAsync(cancellationToken);
                            await credentials.RefreshAllAsync(cancellationToken);
                            break;
                        case UsersChannel when Guid.TryParse(change.Id, out var userId):
                            await credentials.RefreshUserAsync(userId, cancellationToken);
                            break;
                        case SessionsChannel when Guid.TryParse(change.Id, out var sessionId):
                            await credentials.RefreshSessionAsync(sessionId, cancellationToken);
                            break;
                        case Channel:
                            await LoadOneAsync(change.Id!, cancellationToken);
                            break;
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
                {
                    // The last good table stays; the reconnection (or the next interval) reloads everything.
                    ProxyLog.LoadFailed(logger, ex, change.LogKey, table.Count);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private async Task LoadAllAsync(CancellationToken cancellationToken)
    {
        var routes = new List<EnvironmentRoute>();
        await using (var command = dataSource.CreateCommand(SelectRoutes))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                routes.Add(Read(reader));
            }
        }

        // Notifications queued while this load ran are applied after it, so none is undone.
        table.ReplaceAll(routes);
        ProxyLog.Loaded(logger, routes.Count);
    }

    private async Task LoadOneAsync(string environmentId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(SelectRoutes + " AND e.id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = environmentId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var route = await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
        table.Apply(environmentId, route);
        ProxyLog.RouteUpdated(logger, environmentId, route?.Status);
    }

    private static EnvironmentRoute Read(NpgsqlDataReader reader)
    {
        var grants = new Dictionary<Guid, DateTimeOffset>();
        if (!reader.IsDBNull(6))
        {
            var grantees = reader.GetFieldValue<Guid[]>(6);
            var expiries = reader.GetFieldValue<DateTimeOffset[]>(7);
            for (var i = 0; i < grantees.Length; i++)
            {
                grants[grantees[i]] = expiries[i];
            }
        }
        return new(
            reader.GetString(0),
            Enum.Parse<EnvironmentStatus>(reader.GetString(1)),
            reader.GetGuid(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5),
            grants);
    }

    /// <summary>A notification (channel and id), or <see cref="Everything"/>: a full load.</summary>
    private readonly record struct Change(string? Channel, string? Id)
    {
        public static Change Everything => default;

        /// <summary>What a log may say of it: a session id only in part.</summary>
        public string LogKey => Channel switch
        {
            null => "*",
            SessionsChannel => "session " + (Guid.TryParse(Id, out var session) ? UserSession.ShortId(session) : "?"),
            _ => Id ?? "?",
        };
    }
}
