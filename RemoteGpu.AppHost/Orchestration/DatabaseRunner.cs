using Microsoft.Extensions.Logging;
using Npgsql;

namespace RemoteGpu.AppHost.Orchestration;

/// <summary>Creates the database once its server is healthy (if it is not there yet); healthy when it answers <c>SELECT 1</c>.</summary>
internal sealed partial class DatabaseRunner(PostgresDatabaseResource database, RunnerContext context) : ResourceRunner(database, context)
{
    public override string Kind => ResourceKinds.Database;

    protected override async Task<IRunningInstance> StartInstanceAsync(CancellationToken cancellationToken)
    {
        var server = new NpgsqlConnectionStringBuilder(database.Parent.GetValue()) { Pooling = false };
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync(cancellationToken);

        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database.DatabaseName } } };
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            // Identifiers cannot be parameters; the name is ours and quoted.
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.DatabaseName.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
            var logger = Context.LoggerFactory.CreateLogger<DatabaseRunner>();
            LogDatabaseCreated(logger, database.DatabaseName, database.Parent.Name);
        }
        return new NothingRunning();
    }

    protected override Task CheckHealthAsync(CancellationToken cancellationToken) =>
        Context.Probes.CheckPostgresAsync(database.GetValue(), cancellationToken);

    [LoggerMessage(EventId = AppHostEventIds.DatabaseCreated, Level = LogLevel.Information, Message = "Created database {Database} on {Server}")]
    private static partial void LogDatabaseCreated(ILogger logger, string database, string server);

    /// <summary>A database has no process of its own: it "runs" until stopped.</summary>
    private sealed class NothingRunning : IRunningInstance
    {
        private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<int> Exited => _exited.Task;

        public int? ProcessId => null;

        public string? ContainerId => null;

        public Task<bool> StopAsync(TimeSpan grace, CancellationToken cancellationToken)
        {
            _exited.TrySetResult(0);
            return Task.FromResult(false);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
