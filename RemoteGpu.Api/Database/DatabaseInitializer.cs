using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using RemoteGpu.Core;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Identity;

namespace RemoteGpu.Api.Database;

/// <summary>
/// Brings the database to this build's schema (only the Api migrates; see <see cref="DatabaseMigrator"/>)
/// and creates the first administrator when there is no user at all.
/// </summary>
internal sealed partial class DatabaseInitializer(
    IServiceScopeFactory scopes,
    IOptions<BootstrapOptions> bootstrap,
    TimeProvider time,
    ILogger<DatabaseInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RemoteGpuDbContext>();

        await DatabaseMigrator.MigrateAsync(db, logger, cancellationToken);
        await EnsureAdminAsync(db, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task EnsureAdminAsync(RemoteGpuDbContext db, CancellationToken cancellationToken)
    {
        if (await db.Users.AnyAsync(cancellationToken))
        {
            return;
        }

        var options = bootstrap.Value;
        var password = options.AdminPassword;
        if (string.IsNullOrEmpty(password))
        {
            throw new InvalidOperationException(
                $"The database has no user yet and the setting '{BootstrapOptions.SectionName}:AdminPassword' (environment variable " +
                $"{BootstrapOptions.SectionName}__AdminPassword) is missing: set it to create the first administrator, '{options.AdminUserName}'.");
        }

        var now = time.GetUtcNow();
        db.Users.Add(new User
        {
            Id = Guid.CreateVersion7(now),
            UserName = options.AdminUserName,
            PasswordHash = PasswordHasher.Hash(password),
            Role = Roles.Admin,
            CreatedAt = now,
            UpdatedAt = now,
        });

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another Api replica created the same administrator between our check and our insert.
            return;
        }

        LogAdminCreated(logger, options.AdminUserName);
    }

    [LoggerMessage(EventId = CoreEventIds.AdminCreated, Level = LogLevel.Information, Message = "Created the bootstrap administrator {UserName}")]
    private static partial void LogAdminCreated(ILogger logger, string userName);
}
