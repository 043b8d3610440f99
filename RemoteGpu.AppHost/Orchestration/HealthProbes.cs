using Npgsql;
using StackExchange.Redis;

namespace RemoteGpu.AppHost.Orchestration;

/// <summary>
/// The checks behind "healthy": a real <c>SELECT 1</c> on Postgres, a PING on Redis, <c>GET /health</c> = 200 on a
/// project. Each throws with the reason when the resource is not healthy.
/// </summary>
internal sealed class HealthProbes : IDisposable
{
    private const int MaxReasonLength = 400;

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>The check for a backing service, whether it runs as a container or from the machine's binaries.</summary>
    public Task CheckAsync(ContainerResource resource, CancellationToken cancellationToken) => resource switch
    {
        PostgresServerResource => CheckPostgresAsync(resource.GetValue(), cancellationToken),
        RedisResource => CheckRedisAsync(resource.GetValue(), cancellationToken),
        _ => throw new NotSupportedException($"No health check for {resource.GetType().Name}."),
    };

    public async Task CheckPostgresAsync(string connectionString, CancellationToken cancellationToken)
    {
        // Unpooled: a probe must not leave idle sessions behind (they would block DROP DATABASE, and count as clients).
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 5 };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        await command.ExecuteScalarAsync(cancellationToken);
    }

    private async Task CheckRedisAsync(string connectionString, CancellationToken cancellationToken)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = true;
        options.ConnectRetry = 0;
        options.ConnectTimeout = 3000;
        await using var connection = await ConnectionMultiplexer.ConnectAsync(options).WaitAsync(cancellationToken);
        await connection.GetDatabase().PingAsync().WaitAsync(cancellationToken);
    }

    public async Task CheckHttpAsync(Uri healthUrl, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(healthUrl, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException(
                $"GET {healthUrl.AbsolutePath} answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, MaxReasonLength)]}",
                inner: null,
                response.StatusCode);
        }
    }

    public void Dispose() => _http.Dispose();
}
