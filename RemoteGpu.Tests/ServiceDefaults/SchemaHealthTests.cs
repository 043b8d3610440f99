using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;
using RemoteGpu.Core.Data;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.ServiceDefaults;

/// <summary>Only the Api migrates; the Proxy and the Worker say they are not ready until it has.</summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class SchemaHealthTests(PlatformFixture platform)
{
    [Theory]
    [InlineData("RemoteGpu.Worker")]
    [InlineData("RemoteGpu.Proxy")]
    public async Task Service_IsUnhealthyUntilTheSchemaIsCurrent_ThenHealthy(string project)
    {
        var database = "schema_" + Guid.NewGuid().ToString("N")[..8];
        var connectionString = new NpgsqlConnectionStringBuilder(platform.DbConnectionString) { Database = database }.ConnectionString;
        await using (var admin = new NpgsqlConnection(platform.DbConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync();
        }
        await using var service = await platform.StartListeningServiceAsync(project, ("ConnectionStrings__remotegpu-db", connectionString));
        using var http = new HttpClient { BaseAddress = service.Address };

        using (var before = await http.GetAsync(new Uri("/health", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
            var report = await ApiClient.ReadAsync(before);
            Assert.Equal("Unhealthy", report.GetProperty("checks").GetProperty("schema").GetProperty("status").GetString());
        }

        using var efLogs = new FakeLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(efLogs));
        await using (var db = new RemoteGpuDbContext(new DbContextOptionsBuilder<RemoteGpuDbContext>()
            .UseNpgsql(connectionString).UseLoggerFactory(loggerFactory).Options))
        {
            await DatabaseMigrator.MigrateAsync(db, NullLogger.Instance, CancellationToken.None);
        }
        // A new database is no error: nothing red in the dashboard on a first start.
        Assert.Empty(efLogs.Collector.GetSnapshot().Where(record => record.Level >= LogLevel.Error).Select(record => record.Message));

        await Poll.UntilAsync(async () => (await http.GetAsync(new Uri("/health", UriKind.Relative))).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30), $"healthy {project} after the migration");
    }
}
