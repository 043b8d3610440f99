using Microsoft.EntityFrameworkCore;
using RemoteGpu.Core.Environments;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Core;

/// <summary>Allocations against the real Postgres, raced: no port or GPU is ever given twice.</summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class ResourceAllocatorTests(PlatformFixture platform)
{
    [Fact]
    public async Task RacingCreates_NeverShareAGpu_AndAllOrNothingPerEnvironment()
    {
        var owner = await platform.CreateUserAsync();
        var placement = new PlacementOptions { HostName = "race-" + Guid.NewGuid().ToString("N")[..6], GpuDevices = ["GPU-a", "GPU-b", "GPU-c"] };
        var ids = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            ids.Add(await platform.CreateEnvironmentRowAsync(owner.Id, EnvironmentStatus.Pending));
        }

        var outcomes = await Task.WhenAll(ids.Select(id => Task.Run(async () =>
        {
            await using var db = platform.CreateDbContext();
            await using var transaction = await db.Database.BeginTransactionAsync();
            try
            {
                var gpus = await ResourceAllocator.AllocateGpusAsync(db, placement, id, 2, CancellationToken.None);
                await transaction.CommitAsync();
                return gpus;
            }
            catch (CapacityExhaustedException)
            {
                await transaction.RollbackAsync();
                return (IReadOnlyList<string>)[];
            }
        })));

        // Three GPUs, two per environment: exactly one environment can have a pair.
        var winners = outcomes.Where(o => o.Count > 0).ToList();
        Assert.Single(winners);
        Assert.Equal(2, winners[0].Count);
        await using var check = platform.CreateDbContext();
        var rows = await check.GpuAllocations.Where(a => a.HostName == placement.HostName).ToListAsync();
        Assert.Equal(2, rows.Count);
        Assert.Single(rows.Select(r => r.EnvironmentId).Distinct());
    }

    [Fact]
    public async Task RacingCreates_GetDistinctPorts_UntilThePoolIsEmpty_AndAReleasedPortComesBackFirst()
    {
        var owner = await platform.CreateUserAsync();
        var placement = new PlacementOptions { HostName = "ports-" + Guid.NewGuid().ToString("N")[..6], SshPortFirst = 41000, SshPortLast = 41004 };
        var ids = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            ids.Add(await platform.CreateEnvironmentRowAsync(owner.Id, EnvironmentStatus.Pending));
        }

        var ports = await Task.WhenAll(ids.Select(id => Task.Run(async () =>
        {
            await using var db = platform.CreateDbContext();
            await using var transaction = await db.Database.BeginTransactionAsync();
            try
            {
                var port = await ResourceAllocator.AllocateSshPortAsync(db, placement, id, CancellationToken.None);
                await transaction.CommitAsync();
                return (int?)port;
            }
            catch (CapacityExhaustedException)
            {
                return null;
            }
        })));

        var given = ports.Where(p => p is not null).Select(p => p!.Value).ToList();
        Assert.Equal([41000, 41001, 41002, 41003, 41004], given.Order());
        Assert.Equal(3, ports.Count(p => p is null));

        await using var data = platform.CreateDbContext();
        var holder = await data.PortAllocations.Where(a => a.HostName == placement.HostName && a.Port == 41002).Select(a => a.EnvironmentId).SingleAsync();
        await ResourceAllocator.ReleaseAsync(data, holder, CancellationToken.None);
        var waiting = ids[Array.IndexOf(ports, null)];
        await using var again = await data.Database.BeginTransactionAsync();
        Assert.Equal(41002, await ResourceAllocator.AllocateSshPortAsync(data, placement, waiting, CancellationToken.None));
        await again.CommitAsync();
    }

    [Fact]
    public async Task Allocating_OutsideATransaction_IsRefused()
    {
        var owner = await platform.CreateUserAsync();
        var id = await platform.CreateEnvironmentRowAsync(owner.Id, EnvironmentStatus.Pending);
        await using var db = platform.CreateDbContext();

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ResourceAllocator.AllocateSshPortAsync(db, new PlacementOptions { HostName = "no-tx" }, id, CancellationToken.None));
    }
}
