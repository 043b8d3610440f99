using Microsoft.EntityFrameworkCore;

namespace RemoteGpu.Core.Data;

/// <summary>This installation's identity: the one row of <c>platform_instance</c>, written by a migration.</summary>
public static class PlatformInstance
{
    public static async Task<string> GetIdAsync(RemoteGpuDbContext db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var id = await db.Database.SqlQuery<Guid>($"SELECT id AS \"Value\" FROM platform_instance").SingleAsync(cancellationToken);
        return id.ToString("N");
    }
}
