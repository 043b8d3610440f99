using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Microsoft.Extensions.Logging;

namespace RemoteGpu.Core.Data;

/// <summary>
/// Applies pending migrations from exactly one process at a time: a session-level Postgres advisory
/// lock serialises Api replicas, and the whole step runs inside the context's execution strategy so a
/// database that is still starting is retried rather than fatal.
/// </summary>
public static partial class DatabaseMigrator
{
    /// <summary>Arbitrary, fixed: the advisory-lock key every migrating process agrees on.</summary>
    private const long MigrationLockKey = 0x52_47_50_55_4d_49_47; // "RGPUMIG"

    public static async Task MigrateAsync(RemoteGpuDbContext db, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(logger);

        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async ct =>
        {
            await EnsureDatabaseExistsAsync(db, ct);
            await db.Database.OpenConnectionAsync(ct);
            try
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({MigrationLockKey})", ct);
                // EF reads the history table before it creates it, and logs the failed read of a new database as an
                // error (twice, red in the dashboard on every first start): create it first.
                await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(ct);
                var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
                if (pending.Count == 0)
                {
                    LogSchemaCurrent(logger);
                    return;
                }
                LogApplying(logger, pending.Count, pending);
                await db.Database.MigrateAsync(ct);
                LogApplied(logger, pending.Count);
            }
            finally
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({MigrationLockKey})", CancellationToken.None);
                await db.Database.CloseConnectionAsync();
            }
        }, cancellationToken);
    }

    /// <summary>The advisory lock needs a connection to the database itself, so create it first when absent.</summary>
    private static async Task EnsureDatabaseExistsAsync(RemoteGpuDbContext db, CancellationToken cancellationToken)
    {
        var creator = db.GetService<IRelationalDatabaseCreator>();
        if (await creator.ExistsAsync(cancellationToken))
        {
            return;
        }
        try
        {
            await creator.CreateAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Another replica created it first.
        }
    }

    [LoggerMessage(EventId = CoreEventIds.SchemaCurrent, Level = LogLevel.Information, Message = "Database schema is current")]
    private static partial void LogSchemaCurrent(ILogger logger);

    [LoggerMessage(EventId = CoreEventIds.ApplyingMigrations, Level = LogLevel.Information, Message = "Applying {Count} migration(s): {Migrations}")]
    private static partial void LogApplying(ILogger logger, int count, IReadOnlyList<string> migrations);

    [LoggerMessage(EventId = CoreEventIds.AppliedMigrations, Level = LogLevel.Information, Message = "Applied {Count} migration(s)")]
    private static partial void LogApplied(ILogger logger, int count);
}
