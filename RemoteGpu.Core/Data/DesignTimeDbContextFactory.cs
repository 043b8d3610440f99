using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace RemoteGpu.Core.Data;

/// <summary>For <c>dotnet ef</c> only: migrations are generated without a live database.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<RemoteGpuDbContext>
{
    public RemoteGpuDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<RemoteGpuDbContext>()
            .UseNpgsql("Host=localhost;Database=remotegpu")
            .Options);
}
