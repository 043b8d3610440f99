using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using RemoteGpu.Core.Environments;
using RemoteGpu.Proxy.Edge;

namespace RemoteGpu.Proxy.Routing;

/// <summary>
/// Keeps <see cref="RouteTable"/> in step with Postgres (DESIGN.md §7): <c>LISTEN remotegpu_environments</c>
/// (fed by the EdgeNotifications trigger) for single-host updates within milliseconds, a full load after
/// every (re)connection and on an interval as the safety net. A failed load keeps the last good table;
/// a lost listening connection is re-opened with backoff. One loop applies every change, in order.
/// </summary>
internal sealed class RouteTableLoader(
    NpgsqlDataSource dataSource,
    RouteTable table,
    IOptions<EdgeOptions> options,
    TimeProvider time,
    ILogger<RouteTableLoader> logger) : BackgroundService
{
    public const string Channel = "remotegpu_environments";

    private const string SelectRoutes = """
        SELECT e.id, e.status, e.owner_id, a.jupyter_upstream, a.code_server_upstream, a.jupyter_token_protected
        FROM environments e LEFT JOIN access_info a ON a.environment_id = e.id
        WHERE e.status <> 'Deleted'
        """;

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    /// <summary>An environment id to refresh, or <c>null</c> for a full load.</summary>
    private readonly Channel<string?> _changes = System.Threading.Channels.Channel.CreateUnbounded<string?>(
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
                _changes.Writer.TryWrite(null);
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
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                connection.Notification += (_, e) => _changes.Writer.TryWrite(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }
                ProxyLog.Listening(logger, Channel);
                backoff = TimeSpan.FromMilliseconds(200);

                // Listening first, then loading: no change can fall between the two.
                _changes.Writer.TryWrite(null);
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
            await foreach (var environmentId in _changes.Reader.ReadAllAsync(cancellationToken))
            {
                try
                {
                    if (environmentId is null)
                    {
                        await LoadAllAsync(cancellationToken);
                    }
                    else
                    {
                        await LoadOneAsync(environmentId, cancellationToken);
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
                {
                    // The last good table stays; the reconnection (or the next interval) reloads everything.
                    ProxyLog.LoadFailed(logger, ex, environmentId ?? "*", table.Count);
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

    private static EnvironmentRoute Read(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        Enum.Parse<EnvironmentStatus>(reader.GetString(1)),
        reader.GetGuid(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5));
}
