using Microsoft.EntityFrameworkCore;
using RemoteGpu.Core.Audit;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Health;
using RemoteGpu.Core.Idle;
using RemoteGpu.Core.Identity;

namespace RemoteGpu.Core.Data;

/// <summary>
/// The platform's database. Migrations live beside it in Migrations/; add one with
/// <c>dotnet ef migrations add &lt;Name&gt; --project RemoteGpu.Core --startup-project RemoteGpu.Core --output-dir Data/Migrations</c>
/// (design-time factory: <see cref="DesignTimeDbContextFactory"/>). Only the Api applies them (<see cref="DatabaseMigrator"/>).
/// </summary>
public sealed class RemoteGpuDbContext(DbContextOptions<RemoteGpuDbContext> options) : DbContext(options)
{
    public const string ConnectionName = "remotegpu-db";

    public DbSet<User> Users => Set<User>();
    public DbSet<GpuEnvironment> Environments => Set<GpuEnvironment>();
    public DbSet<AccessInfo> AccessInfos => Set<AccessInfo>();
    public DbSet<EnvironmentHealth> EnvironmentHealth => Set<EnvironmentHealth>();
    public DbSet<EnvironmentActivity> EnvironmentActivity => Set<EnvironmentActivity>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<RecoveryCode> RecoveryCodes => Set<RecoveryCode>();
    public DbSet<SshKey> SshKeys => Set<SshKey>();
    public DbSet<UserSession> UserSessions => Set<UserSession>();
    public DbSet<EnvironmentGrant> EnvironmentGrants => Set<EnvironmentGrant>();
    public DbSet<WorkspaceImage> Images => Set<WorkspaceImage>();
    public DbSet<PortAllocation> PortAllocations => Set<PortAllocation>();
    public DbSet<GpuAllocation> GpuAllocations => Set<GpuAllocation>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(RemoteGpuDbContext).Assembly);
        modelBuilder.UseSnakeCaseNames();
    }
}
