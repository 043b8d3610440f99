using System.Globalization;

namespace RemoteGpu.AppHost.Orchestration;

/// <summary>
/// redis-server from the machine's own binary, on 127.0.0.1 with a password and its data in the resource's
/// data folder. Everything is in a generated config file (mode 0600), so the password never shows in <c>ps</c>.
/// </summary>
internal sealed class RedisExecutableRunner(RedisResource redis, RunnerContext context) : ResourceRunner(redis, context)
{
    public override string Kind => ResourceKinds.Executable;

    protected override IEnumerable<EndpointSnapshot> Endpoints => [Snapshot(redis.PrimaryEndpoint)];

    protected override async Task<IRunningInstance> StartInstanceAsync(CancellationToken cancellationToken)
    {
        var server = Executables.FindRedisServer();
        var data = Context.State.DataFolder(redis.Name);
        Directory.CreateDirectory(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var config = Path.Combine(data, "redis.conf");
        StateDirectory.WriteOwnerOnly(config, string.Create(CultureInfo.InvariantCulture, $"""
            port {redis.PrimaryEndpoint.RequireAllocatedPort()}
            bind {ResourceEndpoint.LoopbackHost}
            protected-mode yes
            requirepass {Quote(redis.PasswordParameter.GetValue())}
            dir {Quote(data)}
            daemonize no

            """));

        return await Context.Launcher.StartAsync(new ProcessSpec(server, [config], data), Log);
    }

    protected override Task CheckHealthAsync(CancellationToken cancellationToken) =>
        Context.Probes.CheckAsync(redis, cancellationToken);

    private static string Quote(string value) =>
        $"\"{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";
}
