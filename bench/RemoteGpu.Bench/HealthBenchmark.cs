using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RemoteGpu.Core.Credentials;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Provisioning;
using StackExchange.Redis;

namespace RemoteGpu.Bench;

/// <summary>
/// The health sweep at scale and the probes' cost (issue 14, "Measured"), on the real topology with its own worker:
/// <list type="number">
/// <item>Probe cost: a few real workspaces, checked by the worker every 15 s (the production interval). Each cycle's
/// CPU in each workspace's cgroup, in the worker and on the whole machine, less what the same window costs while
/// nothing probes (the quiet part of each cycle), is what one check costs.</item>
/// <item>Sweep: 1,000 running environments (the real ones and rows pointing at their SSH port, Jupyter and
/// code-server), swept by the worker's own scheduler: from the sweep's first stream entry to every row's health
/// <c>checked_at</c> after it; the worker's CPU over that time; the Api's p99 for <c>GET /api/environments</c> from
/// one client, for requests sent while a sweep runs and while none does, interleaved sweep by sweep.</item>
/// </list>
/// Targets: a sweep within 2 s, at most one core of the worker, the Api's p99 within 10%.
/// </summary>
internal static class HealthBenchmark
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan SweepTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan SamplePeriod = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan ApiPeriod = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(15);

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        Console.WriteLine($"load {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the start; {Environment.ProcessorCount} cores");
        Console.WriteLine("Starting the topology...");
        // Idle auto-stop can never stop a benchmark row (timeout 0 on every one). No check changes state within the
        // run (threshold 20 results; a check that never passed stays unknown for an hour), so the repair ladder never
        // acts on a row, real or not: the sweep measured is the steady state, where no result changes anything.
        await using var platform = await HealthPlatform.StartAsync(new Dictionary<string, string>
        {
            ["Health:Interval"] = Interval.ToString("c", CultureInfo.InvariantCulture),
            ["Health:Threshold"] = "20",
            ["Health:StartupGrace"] = "01:00:00",
            ["Provisioning:MaxConcurrency"] = options.Concurrency?.ToString(CultureInfo.InvariantCulture) ?? "64",
        });
        using var admin = await platform.AdminAsync();
        var (_, owner) = await platform.UserAsync(admin, "bench");
        var (fleetOwner, fleetClient) = await platform.UserAsync(admin, "fleet");
        fleetClient.Dispose();
        Console.WriteLine($"Creating {options.Real} workspaces...");
        var workspaces = await Task.WhenAll(Enumerable.Range(0, options.Real).Select(_ => platform.WorkspaceAsync(owner)));

        using var sampler = new Sampler(platform, workspaces);
        var sweeps = new SweepWatch(platform);
        await sweeps.NextAsync(); // the real workspaces' first checks (first health rows) are behind

        // 1. The sweep of 1,000, switched on and off by the fleet's status: without a sweep, the worker checks only
        // the few real workspaces (a fraction of a second every 15 s).
        var fleet = await InsertFleetAsync(platform, workspaces, fleetOwner, options.Environments - workspaces.Length);
        Console.WriteLine($"Inserted {fleet} rows; {options.Environments} running environments. Sweeps: {options.Warmup} warm-up, {options.Sweeps} measured, each after {Quiet.TotalSeconds:0} s without...");
        using var latencies = new ApiLatency(owner);
        var results = new List<SweepResult>();
        var quiet = new List<(DateTimeOffset From, DateTimeOffset To)>();
        for (var i = 0; i < options.Warmup + options.Sweeps; i++)
        {
            if (i > 0)
            {
                await SetFleetRunningAsync(platform, running: false);
                await Task.Delay(TimeSpan.FromSeconds(5)); // what was left of the last sweep drains (each entry finds a stopped row)
                var from = DateTimeOffset.UtcNow;
                await Task.Delay(Quiet);
                quiet.Add((from, DateTimeOffset.UtcNow));
                await SetFleetRunningAsync(platform, running: true);
            }
            var start = await sweeps.NextAsync();
            var done = await sweeps.CompletedAsync(start, options.Environments);
            if (i >= options.Warmup)
            {
                results.Add(new SweepResult(start, done.At, done.Checked));
                Console.WriteLine($"  sweep {i - options.Warmup + 1}: {done.Checked} checked in {((done.At ?? start) - start).TotalSeconds:F2} s");
            }
        }
        var samples = latencies.Stop();
        await SetFleetRunningAsync(platform, running: false);

        // 2. What one check of a real workspace costs, the worker warm, only the real workspaces to check.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var cycles = new List<DateTimeOffset> { await sweeps.NextAsync() };
        Console.WriteLine($"Probe cost: {options.Cycles} cycles of {Interval.TotalSeconds:0} s...");
        for (var i = 0; i < options.Cycles; i++)
        {
            cycles.Add(await sweeps.NextAsync());
        }
        var probeCost = ProbeCost(sampler, cycles, workspaces.Length);

        Report(options, probeCost, sampler, results, quiet, samples);
        return 0;
    }

    private sealed record Options(int Environments, int Real, int Cycles, int Warmup, int Sweeps, int? Concurrency)
    {
        public static Options Parse(string[] args)
        {
            var options = new Options(1000, 4, 4, 1, 3, null);
            for (var i = 0; i + 1 < args.Length; i += 2)
            {
                var value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                options = args[i] switch
                {
                    "--environments" => options with { Environments = value },
                    "--real" => options with { Real = value },
                    "--cycles" => options with { Cycles = value },
                    "--warmup" => options with { Warmup = value },
                    "--sweeps" => options with { Sweeps = value },
                    "--concurrency" => options with { Concurrency = value },
                    _ => throw new ArgumentException($"Unknown option {args[i]} (--environments, --real, --cycles, --warmup, --sweeps, --concurrency)."),
                };
            }
            return options;
        }
    }

    private sealed record SweepResult(DateTimeOffset Start, DateTimeOffset? Done, int Checked);

    private sealed record Cost(double WorkspaceMs, double WorkerMs, double MachineMs, double DockerMs, double CycleSeconds);

    /// <summary>
    /// Per cycle: each series' use over the whole cycle, less its rate in the cycle's quiet part (from 6 s after the
    /// sweep to its end, when every check of the few workspaces is long done) times the cycle: the check's own cost.
    /// </summary>
    private static Cost ProbeCost(Sampler sampler, List<DateTimeOffset> sweeps, int workspaces)
    {
        var costs = new List<Cost>();
        for (var k = 0; k + 1 < sweeps.Count; k++)
        {
            var (from, to) = (sweeps[k], sweeps[k + 1]);
            var quietFrom = from + TimeSpan.FromSeconds(6);
            var quietTo = to - TimeSpan.FromMilliseconds(500);
            double Above(Func<Sample, double> series) =>
                sampler.Between(from, to, series) - (sampler.Between(quietFrom, quietTo, series) / (quietTo - quietFrom).TotalSeconds * (to - from).TotalSeconds);
            var perWorkspace = Enumerable.Range(0, workspaces).Select(i => Above(s => s.Workspaces[i])).Average();
            costs.Add(new Cost(perWorkspace * 1000, Above(s => s.Worker) * 1000 / workspaces, Above(s => s.Machine) * 1000 / workspaces,
                Above(s => s.Docker) * 1000 / workspaces, (to - from).TotalSeconds));
        }
        foreach (var (cost, k) in costs.Select((c, k) => (c, k + 1)))
        {
            Console.WriteLine($"  cycle {k} ({cost.CycleSeconds:F1} s): workspace {cost.WorkspaceMs:F1} ms, worker {cost.WorkerMs:F1} ms, dockerd+containerd {cost.DockerMs:F1} ms, machine {cost.MachineMs:F1} ms per check");
        }
        return new Cost(Median(costs.Select(c => c.WorkspaceMs)), Median(costs.Select(c => c.WorkerMs)), Median(costs.Select(c => c.MachineMs)),
            Median(costs.Select(c => c.DockerMs)), Median(costs.Select(c => c.CycleSeconds)));
    }

    private static double Median(IEnumerable<double> values) => Percentiles.Of([.. values], 0.5);

    /// <summary>
    /// Running environments pointing at the real workspaces' SSH port, Jupyter (with its token) and code-server, round
    /// robin, as the worker records them at a start: the credentials applied (else the reconciler would converge them),
    /// never stopped for being idle. They have no container of their own: the container check finds none, and fails.
    /// </summary>
    private static async Task<int> InsertFleetAsync(HealthPlatform platform, Workspace[] workspaces, Guid owner, int count)
    {
        await using var db = platform.CreateDbContext();
        var ids = workspaces.Select(w => w.Id).ToList();
        var real = db.Environments.Where(e => ids.Contains(e.Id)).Select(e => new { e.HostName, e.Access }).ToList();
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
        {
            var source = real[i % real.Count];
            var access = source.Access!;
            var id = CredentialGenerator.NewEnvironmentId();
            db.Environments.Add(new GpuEnvironment
            {
                Id = id,
                OwnerId = owner,
                Name = "fleet",
                Image = HealthPlatform.Image,
                CpuCores = 1,
                MemoryMb = 512,
                IdleTimeoutMinutes = 0,
                DesiredState = DesiredState.Running,
                Status = EnvironmentStatus.Running,
                HostName = source.HostName,
                CreatedAt = now,
                UpdatedAt = now,
                StatusChangedAt = now,
                Access = new AccessInfo
                {
                    EnvironmentId = id,
                    SshHost = access.SshHost,
                    SshPort = access.SshPort,
                    SshUsername = access.SshUsername,
                    SshPasswordHash = access.SshPasswordHash,
                    JupyterUpstream = access.JupyterUpstream,
                    CodeServerUpstream = access.CodeServerUpstream,
                    JupyterTokenProtected = access.JupyterTokenProtected,
                    JupyterTokenIssuedAt = access.JupyterTokenIssuedAt,
                    CodeServerPasswordProtected = access.CodeServerPasswordProtected,
                    CredentialsVersion = access.CredentialsVersion,
                    AppliedCredentialsVersion = access.AppliedCredentialsVersion,
                    CreatedAt = now,
                    UpdatedAt = now,
                },
            });
        }
        await db.SaveChangesAsync();
        return count;
    }

    /// <summary>
    /// Switches the sweep of the fleet on and off: a row stopped and meant to be stopped is converged (the reconciler
    /// leaves it) and not swept. Its status change time is kept, so that a row running again is not a restart.
    /// </summary>
    private static async Task SetFleetRunningAsync(HealthPlatform platform, bool running)
    {
        await using var db = platform.CreateDbContext();
        var state = running ? "Running" : "Stopped";
        await db.Database.ExecuteSqlAsync($"UPDATE environments SET status = {state}, desired_state = {state} WHERE name = 'fleet'");
    }

    private static void Report(Options options, Cost probe, Sampler sampler, List<SweepResult> sweeps, List<(DateTimeOffset From, DateTimeOffset To)> quietWindows, List<(DateTimeOffset At, double Ms)> requests)
    {
        Console.WriteLine();
        Console.WriteLine($"Probe cost, one check of a real workspace every {Interval.TotalSeconds:0} s (median of {options.Cycles} cycles, {options.Real} workspaces):");
        Console.WriteLine($"  inside the workspace (its cgroup)        {probe.WorkspaceMs,8:F1} ms CPU per cycle = {probe.WorkspaceMs / 1000 / Interval.TotalSeconds * 100:F2}% of a core");
        Console.WriteLine($"  in the worker                            {probe.WorkerMs,8:F1} ms CPU per check");
        Console.WriteLine($"  in dockerd + containerd                  {probe.DockerMs,8:F1} ms CPU per check");
        Console.WriteLine($"  the whole machine                        {probe.MachineMs,8:F1} ms CPU per check");

        Console.WriteLine();
        Console.WriteLine($"Sweep of {options.Environments} running environments ({options.Real} real, the rest rows pointing at them), {sweeps.Count} sweeps:");
        var walls = new List<double>();
        var workerCores = new List<double>();
        var machineCores = new List<double>();
        var perCheck = new Dictionary<string, List<double>>();
        foreach (var sweep in sweeps.Where(s => s.Done is not null))
        {
            var (from, to) = (sweep.Start, sweep.Done!.Value);
            var wall = (to - from).TotalSeconds;
            walls.Add(wall);
            workerCores.Add(sampler.Between(from, to, s => s.Worker) / wall);
            machineCores.Add(sampler.Between(from, to, s => s.Machine) / wall);
            foreach (var (name, series) in Sampler.Parts)
            {
                (perCheck.TryGetValue(name, out var list) ? list : perCheck[name] = []).Add(sampler.Between(from, to, series) * 1000 / options.Environments);
            }
        }
        var incomplete = sweeps.Count(s => s.Done is null);
        if (walls.Count == 0)
        {
            Console.WriteLine($"  no sweep completed within {SweepTimeout.TotalSeconds:0} s");
            return;
        }
        var medianWall = Median(walls);
        Console.WriteLine($"  enqueue to every row checked: median {medianWall:F2} s, max {walls.Max():F2} s   target ≤ 2 s: {(walls.Max() <= 2 ? "met" : "missed")} ({medianWall / 2:F2}× the target){(incomplete > 0 ? $"; {incomplete} sweep(s) incomplete after {SweepTimeout.TotalSeconds:0} s" : "")}");
        Console.WriteLine($"  worker CPU during a sweep: median {Median(workerCores):F2} cores, max {workerCores.Max():F2}   target ≤ 1 core: {(workerCores.Max() <= 1 ? "met" : "missed")}");
        Console.WriteLine($"  whole machine during a sweep: median {Median(machineCores):F2} of {Environment.ProcessorCount} cores");
        Console.WriteLine("  CPU per environment checked (median over sweeps), by part:");
        foreach (var (name, values) in perCheck)
        {
            Console.WriteLine($"    {name,-28} {Median(values),7:F2} ms");
        }

        var during = new List<double>();
        var quiet = new List<double>();
        foreach (var sweep in sweeps)
        {
            var done = sweep.Done ?? sweep.Start + SweepTimeout;
            during.AddRange(requests.Where(r => r.At >= sweep.Start && r.At <= done).Select(r => r.Ms));
        }
        foreach (var (from, to) in quietWindows)
        {
            quiet.AddRange(requests.Where(r => r.At >= from && r.At <= to).Select(r => r.Ms));
        }
        if (during.Count > 0 && quiet.Count > 0)
        {
            var (p99During, p99Quiet) = (Percentiles.Of(during, 0.99), Percentiles.Of(quiet, 0.99));
            Console.WriteLine($"  GET /api/environments, one client every {ApiPeriod.TotalMilliseconds:0} ms: p50 {Percentiles.Of(quiet, 0.5):F2} → {Percentiles.Of(during, 0.5):F2} ms, " +
                $"p99 {p99Quiet:F2} ms without a sweep ({quiet.Count} requests), {p99During:F2} ms during one ({during.Count})");
            Console.WriteLine($"  p99 during ÷ without: {p99During / p99Quiet:F3}   target ≤ 1.10: {(p99During / p99Quiet <= 1.10 ? "met" : "missed")}");
        }
    }

    /// <summary>The worker's sweeps, seen on the stream: each starts with its first entry (its id is Redis's clock in ms).</summary>
    private sealed class SweepWatch(HealthPlatform platform)
    {
        private RedisValue _cursor = "0-0";
        private bool _started;

        /// <summary>Waits for the next sweep to start enqueueing; returns when it did.</summary>
        public async Task<DateTimeOffset> NextAsync()
        {
            var db = platform.Redis.GetDatabase();
            if (!_started)
            {
                var last = await db.StreamRangeAsync(ProvisioningStreams.Health, "-", "+", 1, Order.Descending);
                _cursor = last.Length > 0 ? last[0].Id : "0-0";
                _started = true;
            }
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var next = await db.StreamRangeAsync(ProvisioningStreams.Health, After(_cursor), "+", 1);
                if (next.Length > 0)
                {
                    var start = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(((string)next[0].Id!).Split('-')[0], CultureInfo.InvariantCulture));
                    // Past this sweep's entries: the next call waits for the next sweep.
                    await Task.Delay(Interval / 3);
                    var last = await db.StreamRangeAsync(ProvisioningStreams.Health, "-", "+", 1, Order.Descending);
                    _cursor = last[0].Id;
                    return start;
                }
                if (clock.Elapsed > Interval * 3)
                {
                    throw new TimeoutException("No health sweep started.");
                }
                await Task.Delay(20);
            }
        }

        /// <summary>When every running environment had been checked after <paramref name="start"/>: the latest <c>checked_at</c>.</summary>
        public async Task<(DateTimeOffset? At, int Checked)> CompletedAsync(DateTimeOffset start, int expected)
        {
            await using var connection = new NpgsqlConnection(platform.DbConnectionString);
            await connection.OpenAsync();
            var clock = Stopwatch.StartNew();
            var count = 0;
            while (clock.Elapsed < SweepTimeout)
            {
                await using var command = new NpgsqlCommand("SELECT count(*), max(checked_at) FROM environment_health WHERE checked_at >= @start", connection);
                command.Parameters.AddWithValue("start", start);
                await using var reader = await command.ExecuteReaderAsync();
                await reader.ReadAsync();
                count = (int)reader.GetInt64(0);
                if (count >= expected)
                {
                    return (reader.GetFieldValue<DateTimeOffset>(1), count);
                }
                await Task.Delay(100);
            }
            return (null, count);
        }

        /// <summary>The smallest stream id after <paramref name="id"/>.</summary>
        private static RedisValue After(RedisValue id)
        {
            var parts = ((string)id!).Split('-');
            return $"{parts[0]}-{long.Parse(parts[1], CultureInfo.InvariantCulture) + 1}";
        }
    }

    private sealed record Sample(DateTimeOffset At, double Worker, double Api, double Machine, double Postgres, double Redis, double Docker, double[] Workspaces)
    {
        public double AllWorkspaces => Workspaces.Sum();
    }

    /// <summary>CPU seconds used so far by each part, read every <see cref="SamplePeriod"/>.</summary>
    private sealed class Sampler : IDisposable
    {
        public static readonly (string Name, Func<Sample, double> Series)[] Parts =
        [
            ("worker", s => s.Worker),
            ("api", s => s.Api),
            ("postgres", s => s.Postgres),
            ("redis", s => s.Redis),
            ("dockerd + containerd", s => s.Docker),
            ("the real workspaces", s => s.AllWorkspaces),
            ("whole machine", s => s.Machine),
        ];

        private readonly List<Sample> _samples = [];
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public Sampler(HealthPlatform platform, Workspace[] workspaces)
        {
            var worker = platform.ProcessTree("worker");
            var api = platform.ProcessTree("api");
            var postgres = platform.ResourceContainerId("postgres");
            var redis = platform.ResourceContainerId("redis");
            var docker = Named("dockerd", "containerd");
            Sample Read() => new(DateTimeOffset.UtcNow, Sum(worker), Sum(api), ProcessCpu.MachineBusy().TotalSeconds,
                ContainerCpu.Of(postgres).TotalSeconds, ContainerCpu.Of(redis).TotalSeconds, Sum(docker),
                [.. workspaces.Select(w => ContainerCpu.Of(w.ContainerId).TotalSeconds)]);
            _loop = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(SamplePeriod);
                do
                {
                    var sample = Read();
                    lock (_samples)
                    {
                        _samples.Add(sample);
                    }
                }
                while (await timer.WaitForNextTickAsync(_stop.Token).AsTask().ContinueWith(t => !t.IsCanceled && t.Result, TaskScheduler.Default));
            });
        }

        /// <summary>What <paramref name="series"/> used between two moments, interpolated between samples.</summary>
        public double Between(DateTimeOffset from, DateTimeOffset to, Func<Sample, double> series) => At(to, series) - At(from, series);

        private double At(DateTimeOffset at, Func<Sample, double> series)
        {
            lock (_samples)
            {
                var after = _samples.FindIndex(s => s.At >= at);
                if (after <= 0)
                {
                    return series(after == 0 ? _samples[0] : _samples[^1]);
                }
                var (a, b) = (_samples[after - 1], _samples[after]);
                var f = (at - a.At) / (b.At - a.At);
                return series(a) + ((series(b) - series(a)) * f);
            }
        }

        private static double Sum(int[] pids) => pids.Sum(pid => ProcessCpu.Of(pid).TotalSeconds);

        private static int[] Named(params string[] names) =>
        [
            .. Directory.EnumerateDirectories("/proc")
                .Where(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out _))
                .Where(d => File.Exists(Path.Combine(d, "comm")) && names.Contains(SafeRead(Path.Combine(d, "comm")).Trim()))
                .Select(d => int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture)),
        ];

        private static string SafeRead(string path)
        {
            try
            {
                return File.ReadAllText(path);
            }
            catch (IOException)
            {
                return "";
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _loop.Wait();
            _stop.Dispose();
        }
    }

    /// <summary>One client sending <c>GET /api/environments</c> every <see cref="ApiPeriod"/> (or as soon as the last answered).</summary>
    private sealed class ApiLatency : IDisposable
    {
        private readonly List<(DateTimeOffset At, double Ms)> _samples = [];
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public ApiLatency(HttpClient client)
        {
            _loop = Task.Run(async () =>
            {
                var uri = new Uri("/api/environments", UriKind.Relative);
                while (!_stop.IsCancellationRequested)
                {
                    var at = DateTimeOffset.UtcNow;
                    var clock = Stopwatch.StartNew();
                    using (var response = await client.GetAsync(uri))
                    {
                        await response.Content.ReadAsByteArrayAsync();
                        response.EnsureSuccessStatusCode();
                    }
                    var elapsed = clock.Elapsed;
                    lock (_samples)
                    {
                        _samples.Add((at, elapsed.TotalMilliseconds));
                    }
                    if (elapsed < ApiPeriod)
                    {
                        await Task.Delay(ApiPeriod - elapsed);
                    }
                }
            });
        }

        public List<(DateTimeOffset At, double Ms)> Stop()
        {
            _stop.Cancel();
            _loop.Wait();
            lock (_samples)
            {
                return [.. _samples];
            }
        }

        public void Dispose() => _stop.Dispose();
    }
}
