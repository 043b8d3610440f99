using Docker.DotNet;
using Docker.DotNet.Models;
using RemoteGpu.Core.Data;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Environments;

/// <summary>
/// The reconciler removes containers of this platform that no live row claims, and never touches a
/// container of another platform sharing the engine.
/// </summary>
[Collection(PlatformCollection.Name)]
[Trait("Category", "E2E")]
public sealed class OrphanSweepTests(PlatformFixture platform) : IAsyncLifetime
{
    private readonly DockerClient _docker = new DockerClientBuilder().Build();
    private readonly List<string> _created = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var id in _created)
        {
            try
            {
                await _docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true });
            }
            catch (DockerContainerNotFoundException)
            {
                // The sweep took it, as it should.
            }
        }
        _docker.Dispose();
    }

    [Fact]
    public async Task TheSweep_RemovesOwnOrphans_AndLeavesOtherPlatformsAlone()
    {
        await using var db = platform.CreateDbContext();
        var ours = await PlatformInstance.GetIdAsync(db, CancellationToken.None);
        var orphan = await StartManagedAsync(ours);
        var foreign = await StartManagedAsync("some-other-platform");

        await Poll.UntilAsync(async () => !(await _docker.Containers.ListContainersAsync(new ContainersListParameters { All = true })).Any(c => c.ID == orphan),
            TimeSpan.FromMinutes(1), "removal of the orphan");

        // A sweep ran after both existed: the foreign one survived it.
        var inspect = await _docker.Containers.InspectContainerAsync(foreign);
        Assert.True(inspect.State!.Running);
    }

    private async Task<string> StartManagedAsync(string platformId)
    {
        var created = await _docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = EnvironmentDriver.TestImage,
            Entrypoint = ["sleep", "infinity"],
            Labels = new Dictionary<string, string>
            {
                ["remotegpu.managed"] = "true",
                ["remotegpu.platform"] = platformId,
                ["remotegpu.env-id"] = "env-" + Guid.NewGuid().ToString("N")[..8],
            },
        });
        _created.Add(created.ID);
        await _docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
        return created.ID;
    }
}
