using Microsoft.EntityFrameworkCore;
using RemoteGpu.Core.Data;

namespace RemoteGpu.Core.Environments;

/// <summary>Thrown when a host has no SSH port or not enough GPUs left; the create is refused with 409.</summary>
public sealed class CapacityExhaustedException(string message) : Exception(message);

/// <summary>
/// Hands out SSH host ports and GPUs of a Docker host to environments. The rows' primary keys
/// (host, port) and (host, device) make a double allocation impossible whatever the concurrency;
/// run inside the create's transaction, a refusal rolls the whole create back, so nothing is left.
/// </summary>
public static class ResourceAllocator
{
    private const int Attempts = 5;

    /// <summary>The lowest free port of the pool, so a port freed by a delete is the next one given.</summary>
    public static async Task<int> AllocateSshPortAsync(RemoteGpuDbContext db, PlacementOptions placement, string environmentId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(placement);

        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            // ON CONFLICT: another transaction took the same port a moment ago; look again.
            var ports = await db.Database.SqlQuery<int>($"""
                INSERT INTO port_allocations (host_name, port, environment_id)
                SELECT {placement.HostName}, p, {environmentId}
                FROM generate_series({placement.SshPortFirst}, {placement.SshPortLast}) AS p
                WHERE NOT EXISTS (SELECT 1 FROM port_allocations a WHERE a.host_name = {placement.HostName} AND a.port = p)
                ORDER BY p
                LIMIT 1
                ON CONFLICT DO NOTHING
                RETURNING port AS "Value"
                """).ToListAsync(cancellationToken);
            if (ports.Count == 1)
            {
                return ports[0];
            }

            var used = await db.PortAllocations.CountAsync(a => a.HostName == placement.HostName, cancellationToken);
            if (used >= placement.SshPortLast - placement.SshPortFirst + 1)
            {
                break;
            }
        }
        throw new CapacityExhaustedException(
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

        var devices = placement.GpuDevices.ToArray();
        var taken = await db.Database.SqlQuery<string>($"""
            INSERT INTO gpu_allocations (host_name, device_id, environment_id)
            SELECT {placement.HostName}, d, {environmentId}
            FROM unnest({devices}) AS d
            WHERE NOT EXISTS (SELECT 1 FROM gpu_allocations a WHERE a.host_name = {placement.HostName} AND a.device_id = d)
            ORDER BY d
            LIMIT {count}
            ON CONFLICT DO NOTHING
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
