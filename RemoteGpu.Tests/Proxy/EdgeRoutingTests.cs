using System.Net;
using Microsoft.EntityFrameworkCore;
using RemoteGpu.Core.Environments;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Proxy;

/// <summary>
/// The edge's route table follows Postgres (DESIGN.md §7): a row change reaches it through
/// LISTEN/NOTIFY, and a lost listening connection is re-opened and followed by a full reload.
/// Rows only, no containers: what the edge answers before it would forward.
/// </summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class EdgeRoutingTests(PlatformFixture platform) : IDisposable
{
    private static readonly TimeSpan RouteDelay = TimeSpan.FromSeconds(1);
    private readonly EdgeDriver _edge = new(platform);

    [Fact]
    public async Task ARowChange_ReachesTheEdgeWithinASecond_AndARunningRowWithoutUpstreamIs503()
    {
        var owner = await platform.CreateUserAsync();
        var bearer = await EdgeDriver.CreateTokenAsync(owner.Client);

        var id = await platform.CreateEnvironmentRowAsync(owner.Id, EnvironmentStatus.Running);
        var appeared = await _edge.WaitForAsync(id, "/jupyter/api/status", bearer, s => s != HttpStatusCode.NotFound, RouteDelay * 2);
        Assert.True(appeared.SentAt < RouteDelay, $"The new route took {appeared.SentAt}.");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, appeared.Status);
        Assert.Contains("no address", appeared.Body, StringComparison.Ordinal);

        await SetStatusAsync(id, EnvironmentStatus.Stopped);
        var stopped = await _edge.WaitForAsync(id, "/jupyter/api/status", bearer,
            s => s == HttpStatusCode.ServiceUnavailable, RouteDelay * 2, body => body.Contains("is stopped", StringComparison.Ordinal));
        Assert.True(stopped.SentAt < RouteDelay, $"The change took {stopped.SentAt}.");

        await SetStatusAsync(id, EnvironmentStatus.Deleted);
        var deleted = await _edge.WaitForAsync(id, "/jupyter/api/status", bearer, s => s == HttpStatusCode.NotFound, RouteDelay * 2);
        Assert.True(deleted.SentAt < RouteDelay, $"The deletion took {deleted.SentAt}.");
    }

    [Fact]
    public async Task ALostListeningConnection_IsReopened_AndChangesReachTheEdgeAgain()
    {
        var owner = await platform.CreateUserAsync();
        var bearer = await EdgeDriver.CreateTokenAsync(owner.Client);
        var id = await platform.CreateEnvironmentRowAsync(owner.Id, EnvironmentStatus.Stopped);
        await SetStatusAsync(id, EnvironmentStatus.Stopped);
        await _edge.WaitForAsync(id, "/jupyter/api/status", bearer,
            s => s == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(5), body => body.Contains("is stopped", StringComparison.Ordinal));

        await using (var db = platform.CreateDbContext())
        {
            var killed = await db.Database.SqlQueryRaw<bool>(
                "SELECT pg_terminate_backend(pid) AS \"Value\" FROM pg_stat_activity WHERE query LIKE 'LISTEN remotegpu%'").ToListAsync();
            Assert.NotEmpty(killed);
        }

        // While the edge reconnects it keeps its table: the known route still answers.
        using (var meanwhile = await _edge.GetAsync(id, "/jupyter/api/status", bearer))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, meanwhile.StatusCode);
        }

        await SetStatusAsync(id, EnvironmentStatus.Failed);
        await _edge.WaitForAsync(id, "/jupyter/api/status", bearer,
            s => s == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10), body => body.Contains("is failed", StringComparison.Ordinal));

        // And it listens again: the next change arrives as fast as ever.
        await Poll.UntilAsync(ListeningAsync, TimeSpan.FromSeconds(10), "LISTEN connection re-established");
        await SetStatusAsync(id, EnvironmentStatus.Stopped);
        var fast = await _edge.WaitForAsync(id, "/jupyter/api/status", bearer,
            s => s == HttpStatusCode.ServiceUnavailable, RouteDelay * 2, body => body.Contains("is stopped", StringComparison.Ordinal));
        Assert.True(fast.SentAt < RouteDelay, $"After reconnecting, the change took {fast.SentAt}.");
    }

    public void Dispose() => _edge.Dispose();

    /// <summary>Only states the worker's reconciler leaves alone: converged, or failed with a reason.</summary>
    private async Task SetStatusAsync(string id, EnvironmentStatus status)
    {
        var desired = status switch
        {
            EnvironmentStatus.Stopped => DesiredState.Stopped,
            EnvironmentStatus.Deleted => DesiredState.Deleted,
            _ => DesiredState.Running,
        };
        string? reason = status == EnvironmentStatus.Failed ? "set by an edge test" : null;
        await using var db = platform.CreateDbContext();
        await db.Environments.Where(e => e.Id == id).ExecuteUpdateAsync(s => s
            .SetProperty(e => e.Status, status)
            .SetProperty(e => e.DesiredState, desired)
            .SetProperty(e => e.StatusReason, reason));
    }

    private async Task<bool> ListeningAsync()
    {
        await using var db = platform.CreateDbContext();
        return (await db.Database.SqlQueryRaw<int>(
            "SELECT count(*)::int AS \"Value\" FROM pg_stat_activity WHERE query LIKE 'LISTEN remotegpu%'").ToListAsync()).Single() > 0;
    }
}
