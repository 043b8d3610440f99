using Microsoft.EntityFrameworkCore;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Provisioning;

namespace RemoteGpu.Api.Apis;

/// <summary>
/// Someone lost access to environments, or their owner's keys changed: each gets a new credentials version, which
/// the worker applies inside the running container (password, authorized_keys, and a new Jupyter token for the
/// edge), so what was copied before stops working there too.
/// </summary>
internal static class CredentialRenewal
{
    public static async Task RenewAsync(RemoteGpuDbContext db, ProvisioningQueue queue, IQueryable<GpuEnvironment> environments, CancellationToken cancellationToken)
    {
        var ids = await environments
            .Where(e => e.Status != EnvironmentStatus.Deleted && e.DesiredState != DesiredState.Deleted)
            .Select(e => e.Id)
            .ToListAsync(cancellationToken);
        if (ids.Count == 0)
        {
            return;
        }
        await db.AccessInfos.Where(a => ids.Contains(a.EnvironmentId))
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.CredentialsVersion, a => a.CredentialsVersion + 1), cancellationToken);
        foreach (var id in ids)
        {
            await queue.SendAsync(id, ProvisioningReasons.Credentials);
        }
    }
}
