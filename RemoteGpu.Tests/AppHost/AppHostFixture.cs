using RemoteGpu.AppHost.Hosting;

namespace RemoteGpu.Tests.AppHost;

/// <summary>
/// One topology of Program.cs, started through the testing entry point from the machine's own Postgres and
/// Redis binaries, shared by the tests of <see cref="AppHostCollection"/>: starting it is the expensive part.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    public DistributedApplication App { get; private set; } = null!;

    public TimeSpan StartedIn { get; private set; }

    public async Task InitializeAsync() => (App, StartedIn) = await AppHostTopology.StartAsync("--AppHost:ContainerRuntime=None");

    public async Task DisposeAsync() => await App.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>
{
    public const string Name = "AppHost topology";
}
