using Docker.DotNet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using RemoteGpu.Core.Credentials;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Idle;
using RemoteGpu.Core.Provisioning;
using RemoteGpu.Worker.Health;
using RemoteGpu.Worker.Idle;
using RemoteGpu.Worker.Runtime.Docker;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace RemoteGpu.Bench;

/// <summary>
/// Where a health check's worker CPU goes (issue 14): the worker's own code, run in this process against one real
/// workspace, phase by phase, each phase <c>--iterations</c> times in 32 parallel lanes, this process's CPU (user + system) over
/// them divided by the count, less its idle rate. The platform's own worker sweeps once an hour, so it stays out of the
/// way. A "fleet row" is a row like the health benchmark's 996: the real workspace's access, no container of its own.
/// </summary>
internal static class HealthPhasesBenchmark
{
    private const int Lanes = 32;

    public static async Task<int> RunAsync(string[] args)
    {
        var iterations = args.Length > 1 && args[0] == "--iterations" ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200;
        Console.WriteLine($"load {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the start; {Environment.ProcessorCount} cores; {iterations} iterations per phase");
        await using var platform = await HealthPlatform.StartAsync(new Dictionary<string, string> { ["Health:Interval"] = "01:00:00" });
        using var admin = await platform.AdminAsync();
        var (ownerId, owner) = await platform.UserAsync(admin, "phases");
        var workspace = await platform.WorkspaceAsync(owner);

        GpuEnvironment real;
        string fleetId;
        await using (var db = platform.CreateDbContext())
        {
            real = await db.Environments.AsNoTracking().Include(e => e.Access).SingleAsync(e => e.Id == workspace.Id);
            fleetId = CredentialGenerator.NewEnvironmentId();
            var now = DateTimeOffset.UtcNow;
            var source = real.Access!;
            db.Environments.Add(new GpuEnvironment
            {
                Id = fleetId, OwnerId = ownerId, Name = "fleet", Image = HealthPlatform.Image, CpuCores = 1, MemoryMb = 512, IdleTimeoutMinutes = 0,
                DesiredState = DesiredState.Running, Status = EnvironmentStatus.Running, HostName = real.HostName,
                CreatedAt = now, UpdatedAt = now, StatusChangedAt = now,
                Access = new AccessInfo
                {
                    EnvironmentId = fleetId, SshHost = source.SshHost, SshPort = source.SshPort, SshUsername = source.SshUsername,
                    SshPasswordHash = source.SshPasswordHash, JupyterUpstream = source.JupyterUpstream, CodeServerUpstream = source.CodeServerUpstream,
                    JupyterTokenProtected = source.JupyterTokenProtected, JupyterTokenIssuedAt = source.JupyterTokenIssuedAt,
                    CodeServerPasswordProtected = source.CodeServerPasswordProtected, CredentialsVersion = source.CredentialsVersion,
                    AppliedCredentialsVersion = source.AppliedCredentialsVersion, CreatedAt = now, UpdatedAt = now,
                },
            });
            await db.SaveChangesAsync();
        }
        // The same fleet row without an SSH port: its check skips the banner probe ("no SSH port"), so the
        // difference between the two full checks is the banner probe's CPU, which its own wait hides below.
        var noSshId = CredentialGenerator.NewEnvironmentId();
        await using (var db = platform.CreateDbContext())
        {
            var row = await db.Environments.AsNoTracking().Include(e => e.Access).SingleAsync(e => e.Id == fleetId);
            row.Id = noSshId;
            row.Access!.EnvironmentId = noSshId;
            row.Access.SshPort = null;
            db.Environments.Add(row);
            await db.SaveChangesAsync();
        }
        GpuEnvironment fleet;
        await using (var db = platform.CreateDbContext())
        {
            fleet = await db.Environments.AsNoTracking().Include(e => e.Access).SingleAsync(e => e.Id == fleetId);
        }

        using var docker = new DockerClientBuilder().Build();
        var runtime = new DockerWorkspaceRuntime(docker, MsOptions.Create(new DockerRuntimeOptions()), TimeProvider.System, NullLogger<DockerWorkspaceRuntime>.Instance);
        using var http = new WorkspaceHttp();
        // Every call a real check: no interval skips it, no result changes a state (as in the health benchmark).
        var healthOptions = MsOptions.Create(new HealthOptions { Interval = TimeSpan.Zero, Threshold = 20, StartupGrace = TimeSpan.FromHours(1) });
        var idleOptions = MsOptions.Create(new IdleOptions());
        var ssh = new SshProbe(MsOptions.Create(new DockerRuntimeOptions()), TimeProvider.System);
        var probes = new HealthProbes(runtime, ssh, platform.Secrets, http, healthOptions);
        var activity = new ActivityProbes(runtime, platform.Secrets, platform.Redis, http, idleOptions, healthOptions);
        var access = real.Access!;
        var token = platform.Secrets.Unprotect(access.JupyterTokenProtected!);
        var provisioning = new ProvisioningQueue(platform.Redis, NullLogger<ProvisioningQueue>.Instance);

        async Task CheckAsync(string id)
        {
            await using var db = platform.CreateDbContext();
            var idle = new IdleMonitor(db, activity, runtime, idleOptions, TimeProvider.System, NullLogger<IdleMonitor>.Instance);
            var monitor = new HealthMonitor(db, probes, runtime, idle, provisioning, healthOptions, TimeProvider.System, NullLogger<HealthMonitor>.Instance);
            await monitor.CheckAsync(id, CancellationToken.None);
        }

        async Task EfAsync(string id)
        {
            // The check's database work alone: the load with its includes, a changed check time on both rows, the save.
            await using var db = platform.CreateDbContext();
            var environment = await db.Environments.Include(e => e.Access).Include(e => e.Health).Include(e => e.Activity).SingleAsync(e => e.Id == id);
            environment.Health!.CheckedAt = DateTimeOffset.UtcNow;
            environment.Activity!.CheckedAt = DateTimeOffset.UtcNow;
            try
            {
                await db.SaveChangesAsync();
            }
            catch (DbUpdateConcurrencyException)
            {
                // Another lane saved the row first (xmin): the work measured was done all the same.
            }
        }

        var phases = new (string Name, Func<Task> Run)[]
        {
            ("full check, fleet row (HealthMonitor.CheckAsync)", () => CheckAsync(fleetId)),
            ("full check, fleet row without an SSH port", () => CheckAsync(noSshId)),
            ("full check, real workspace", () => CheckAsync(real.Id)),
            ("health probes, fleet row", () => probes.RunAsync(fleet, fleet.Access!, CancellationToken.None)),
            ("  container lookup, no container (Docker list)", () => runtime.InspectAsync(fleetId, CancellationToken.None)),
            ("  container lookup, real (Docker list + inspect)", () => runtime.InspectAsync(real.Id, CancellationToken.None)),
            ("  SSH banner", () => ssh.IsReadyAsync(access.SshPort!.Value, CancellationToken.None)),
            ("  Jupyter /api/status", async () => (await http.GetAsync(access.JupyterUpstream!, "/jupyter/api/status", token, CancellationToken.None)).Dispose()),
            ("  code-server /healthz", async () => (await http.GetAsync(access.CodeServerUpstream!, "/healthz", null, CancellationToken.None)).Dispose()),
            ("  secrets.Unprotect (Jupyter token)", () => Task.FromResult(platform.Secrets.Unprotect(access.JupyterTokenProtected!))),
            ("activity probes, fleet row (exec fails: no container)", () => ActivityAsync(activity, fleet)),
            ("activity probes, real (exec, Redis, kernels, terminals)", () => ActivityAsync(activity, real)),
            ("  exec in the container (ps + cgroup)", () => runtime.ExecAsync(real.Id, ["sh", "-c", "head -v -c 512 /proc/[0-9]*/cmdline 2>/dev/null; true"], null, CancellationToken.None)),
            ("EF load (3 includes) + save of both rows", () => EfAsync(fleetId)),
        };

        // Warm every path first (JIT, pools), then measure.
        foreach (var (_, run) in phases)
        {
            for (var i = 0; i < 5; i++)
            {
                await run();
            }
        }
        var idleStart = Environment.CpuUsage.TotalTime;
        await Task.Delay(TimeSpan.FromSeconds(5));
        var idleRate = (Environment.CpuUsage.TotalTime - idleStart).TotalMilliseconds / 5000;
        Console.WriteLine($"this process idle: {idleRate * 1000:0.0} ms CPU per s");
        Console.WriteLine();
        Console.WriteLine($"| phase | CPU per call (ms) | wall per call, {Lanes} in parallel (ms) |");
        Console.WriteLine("|---|---|---|");
        foreach (var (name, run) in phases)
        {
            var cpu = Environment.CpuUsage.TotalTime;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            // Lanes in parallel, as the worker's consumer runs checks: the wall time (and with it the idle rate
            // subtracted, this process's Aspire host) stays small beside the CPU measured.
            await Task.WhenAll(Enumerable.Range(0, Lanes).Select(async _ =>
            {
                for (var i = 0; i < iterations / Lanes; i++)
                {
                    await run();
                }
            }));
            var wall = clock.Elapsed.TotalMilliseconds;
            var used = (Environment.CpuUsage.TotalTime - cpu).TotalMilliseconds - idleRate * wall;
            Console.WriteLine($"| {name} | {used / iterations:0.00} | {wall / iterations * Lanes:0.00} |");
        }
        return 0;
    }

    private static async Task ActivityAsync(ActivityProbes activity, GpuEnvironment environment)
    {
        var readings = new HealthReadings([], null, null);
        await activity.ProbeAsync(environment, environment.Access!, readings, new EnvironmentActivity { EnvironmentId = environment.Id }, DateTimeOffset.UtcNow, CancellationToken.None);
    }
}
