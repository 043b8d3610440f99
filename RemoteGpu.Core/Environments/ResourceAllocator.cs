using Microsoft.EntityFrameworkCore;
using RemoteGpu.Core.Data;

namespace RemoteGpu.Core.Environments;

/// <summary>Thrown when a host has no SSH port or not enough GPUs left; the create is refused with 409.</summary>
public sealed class CapacityExhaustedException(string message) : Exception(message);

/// <summary>
/// Hands out SSH host ports and GPUs of a Docker host to environments, one create at a time per
/// host (a transaction-scoped advisory lock), with the rows' primary keys (host, port) and
/// (host, device) as the guarantee no port or GPU is ever given twice. Run inside the create's
/// transaction, a refusal rolls the whole create back, so nothing is left.
/// </summary>
public static class ResourceAllocator
{
    /// <summary>
    /// The lowest free port of the pool, so a port freed by a delete is the next one given. Runs in
    /// the caller's transaction and serialises allocation on the host until it commits: racing
    /// creates would otherwise all reach for the same lowest port.
    /// </summary>
    public static async Task<int> AllocateSshPortAsync(RemoteGpuDbContext db, PlacementOptions placement, string environmentId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(placement);
        await LockHostAsync(db, placement.HostName, cancellationToken);

        var ports = await db.Database.SqlQuery<int>($"""
            INSERT INTO port_allocations (host_name, port, environment_id)
            SELECT {placement.HostName}, p, {environmentId}
            FROM generate_series({placement.SshPortFirst}, {placement.SshPortLast}) AS p
            WHERE NOT EXISTS (SELECT 1 FROM port_allocations a WHERE a.host_name = {placement.HostName} AND a.port = p)
            ORDER BY p
            LIMIT 1
            RETURNING port AS "Value"
            """).ToListAsync(cancellationToken);
        return ports.Count == 1
            ? ports[0]
            : throw new CapacityExhaustedException(
                $"No SSH port is free on host '{placement.HostName}' (pool {placement.SshPortFirst}–{placement.SshPortLast}).");
    }

    /// <summary>Exactly <paramref name="count"/> GPUs of the host, or none.</summary>
    public static async Task<IReadOnlyList<string>> AllocateGpusAsync(RemoteGpuDbContext db, PlacementOptions placement, string environmentId, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(placement);
        if (count == 0)
        {
            return [];
        }
        if (count > placement.GpuDevices.Count)
        {
            throw new CapacityExhaustedException($"Host '{placement.HostName}' has {placement.GpuDevices.Count} GPU(s); {count} requested.");
        }

        await LockHostAsync(db, placement.HostName, cancellationToken);
        var devices = placement.GpuDevices.ToArray();
        var taken = await db.Database.SqlQuery<string>($"""
            INSERT INTO gpu_allocations (host_name, device_id, environment_id)
            SELECT {placement.HostName}, d, {environmentId}
            FROM unnest({devices}) AS d
            WHERE NOT EXISTS (SELECT 1 FROM gpu_allocations a WHERE a.host_name = {placement.HostName} AND a.device_id = d)
            ORDER BY d
            LIMIT {count}
            RETURNING device_id AS "Value"
            """).ToListAsync(cancellationToken);
        if (taken.Count < count)
        {
            // The caller's transaction rolls back what was taken.
            throw new CapacityExhaustedException(
                $"Not enough free GPUs on host '{placement.HostName}': {count} requested, {taken.Count} free.");
        }
        return taken;
    }

    /// <summary>Held until the caller's transaction ends; the (host, …) primary keys stay the last line of defence.</summary>
    private static async Task LockHostAsync(RemoteGpuDbContext db, string hostName, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("Allocations run inside the create's transaction.");
        }
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtext({"remotegpu:placement:" + hostName}))", cancellationToken);
    }

    /// <summary>Gives back everything an environment holds (its delete is done).</summary>
    public static async Task ReleaseAsync(RemoteGpuDbContext db, string environmentId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        await db.PortAllocations.Where(a => a.EnvironmentId == environmentId).ExecuteDeleteAsync(cancellationToken);
        await db.GpuAllocations.Where(a => a.EnvironmentId == environmentId).ExecuteDeleteAsync(cancellationToken);
    }

    public static async Task<IReadOnlyList<string>> GpusOfAsync(RemoteGpuDbContext db, string environmentId, CancellationToken cancellationToken) =>
        await db.GpuAllocations.Where(a => a.EnvironmentId == environmentId).OrderBy(a => a.DeviceId).Select(a => a.DeviceId).ToListAsync(cancellationToken);
}
