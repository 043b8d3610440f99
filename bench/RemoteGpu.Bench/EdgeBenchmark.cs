using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using RemoteGpu.Core.Credentials;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Identity;
using RemoteGpu.Tests.Infrastructure;
using StackExchange.Redis;

namespace RemoteGpu.Bench;

/// <summary>
/// The edge (RemoteGpu.Proxy) beside the same upstream reached directly, a bare YARP catch-all, Debian's
/// nginx and configurable-http-proxy, all driven by wrk with the same request, threads, connections and
/// duration, interleaved over several rounds (medians reported); then the edge with a small and a large
/// route table in pairs of runs back to back (<see cref="EdgeTableSize"/>), and route propagation (row
/// committed → first 200 through the edge) at the large size.
/// Targets (the edge issue): edge ≥ 0.9× bare YARP, ≥ 2.5× configurable-http-proxy, ≥ 0.8× nginx in
/// requests/s; requests/s with 10,000 routes ≥ 0.95× with 10; propagation p99 ≤ 100 ms at 10,000 routes.
/// </summary>
internal static class EdgeBenchmark
{
    private const string AdminPassword = "Bench-admin-pass-1";

    /// <summary>
    /// The upstream as one event loop, as Jupyter Server (tornado) is: every request is answered on the one
    /// socket thread that read it (<see cref="EdgeUpstream"/> schedules inline), with no hand-off to the
    /// thread pool. Handed off, its cost per request depended on how its caller spaced requests out: behind
    /// the edge it spent 65–74 µs and 4–5 context switches a request, behind bare YARP 27–32 µs and under
    /// one, even with bare YARP slowed to the edge's rate; on 2 shared cores that difference was charged to
    /// the proxy under test. Its thread pool does not spin, so the work it has left costs the same behind all.
    /// </summary>
    private static readonly Dictionary<string, string> UpstreamRuntime = new()
    {
        ["DOTNET_gcServer"] = "1",
        ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0",
        ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1",
        ["DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT"] = "1",
    };

    /// <summary>The bare YARP reference as a YARP user would run it: server GC, runtime defaults otherwise.</summary>
    private static readonly Dictionary<string, string> BareYarpRuntime = new() { ["DOTNET_gcServer"] = "1" };
    private static readonly TimeSpan PropagationTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan WarmUpSlice = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SettleAfterResize = TimeSpan.FromSeconds(5);
    private const double SteadyWithin = 0.03;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = EdgeBenchmarkOptions.Parse(args);
        if (options is null)
        {
            Console.Error.WriteLine(EdgeBenchmarkOptions.Usage);
            return 2;
        }
        var tools = EdgeTools.Find();
        var missing = tools.Missing();
        if (missing.Count > 0)
        {
            Console.Error.WriteLine($"missing: {string.Join(", ", missing)}. Run scripts/bench-prerequisites.sh first.");
            return 2;
        }

        var work = Directory.CreateTempSubdirectory("remotegpu-bench-edge-");
        try
        {
            return await RunAsync(options, tools, work.FullName);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static async Task<int> RunAsync(EdgeBenchmarkOptions options, EdgeTools tools, string work)
    {
        var load = (await File.ReadAllTextAsync("/proc/loadavg")).Split(' ')[..3];
        var ids = new EnvironmentIds();
        var small = ids.Take(options.Environments);
        var ports = Ports.Free(5);
        var (upstreamPort, yarpPort, nginxPort, chpPort, chpApiPort) = (ports[0], ports[1], ports[2], ports[3], ports[4]);
        var upstreamAddress = $"http://127.0.0.1:{upstreamPort.ToString(CultureInfo.InvariantCulture)}";

        // The other contenders first: they must not inherit --edge-env, which is set for the topology below.
        Console.WriteLine($"Starting the upstream, bare YARP, nginx and configurable-http-proxy {EdgeTools.ChpVersion}...");
        // The upstream serves every contender and should cost each the same per request: see UpstreamRuntime.
        await using var upstream = EdgeContenders.StartDotnet("upstream", UpstreamRuntime, EdgeUpstream.Command, Invariant(upstreamPort));
        var routesFile = Path.Combine(work, "yarp-routes.txt");
        await File.WriteAllLinesAsync(routesFile, small.Select(id => $"{id}.localhost {upstreamAddress}"));
        await using var yarp = EdgeContenders.StartDotnet("bare YARP", BareYarpRuntime, EdgeBareYarp.Command, Invariant(yarpPort), routesFile);
        await using var nginx = await EdgeContenders.StartNginxAsync(tools.Nginx!, Path.Combine(work, "nginx"), nginxPort, upstreamAddress, small);
        await using var chp = await EdgeContenders.StartChpAsync(tools, chpPort, chpApiPort, upstreamAddress, small);

        Console.WriteLine("Starting the topology (Release build recommended)...");
        var builder = await TestPlatform.CreateBuilderAsync(dashboard: false, "--Parameters:admin-password=" + AdminPassword);
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            // As deployed: no developer exception page or other Development-only middleware in the measured path.
            var resource = builder.CreateResourceBuilder(project).WithEnvironment("ASPNETCORE_ENVIRONMENT", Environments.Production);
            foreach (var (name, value) in options.EdgeEnvironment)
            {
                resource.WithEnvironment(name, value);
            }
        }
        var (app, _) = await TestPlatform.StartAsync(builder);
        await using var _ = app;
        Guid ownerId;
        string bearer;
        try
        {
            (ownerId, bearer) = await CreateUserWithTokenAsync(app.GetEndpoint("api", "http"));
        }
        catch (HttpRequestException)
        {
            // A status code alone does not say what went wrong; the Api's console does, and it goes with the topology.
            foreach (var line in (await app.LogAsync("api")).TakeLast(40))
            {
                Console.Error.WriteLine($"  api | {line}");
            }
            throw;
        }
        var authorization = "Bearer " + bearer;

        await using var redis = await ConnectionMultiplexer.ConnectAsync((await app.GetConnectionStringAsync("redis"))!);
        using var secretsHost = SecretsHost(redis);
        await using var dataSource = NpgsqlDataSource.Create((await app.GetConnectionStringAsync(RemoteGpuDbContext.ConnectionName))!);
        var rows = new EdgeRows(dataSource, secretsHost.Services.GetRequiredService<EnvironmentSecrets>(), ownerId, upstreamAddress);
        foreach (var id in small)
        {
            await rows.InsertAsync(id);
        }

        var target = small[0];
        // The process DCP started (dotnet run); the edge runs below it and ProcessCpu counts the whole tree.
        var edgePid = app.Snapshot("proxy").ProcessId();
        var edge = new Contender("edge (RemoteGpu.Proxy)", app.GetEndpoint("proxy", "http").Port, target, edgePid);
        var bare = new Contender("bare YARP catch-all", yarpPort, target, yarp.ProcessId);
        var contenders = new (Contender Contender, ChildProcess? Process)[]
        {
            (new Contender("upstream, direct", upstreamPort, target, upstream.ProcessId), upstream),
            (edge, null),
            (bare, yarp),
            (new Contender($"nginx {NginxVersion(tools.Nginx!)}", nginxPort, target, nginx.ProcessId), nginx),
            (new Contender($"configurable-http-proxy {EdgeTools.ChpVersion}", chpPort, target, chp.ProcessId), chp),
        };
        using var http = EdgeContenders.CreateClient();
        foreach (var (contender, process) in contenders)
        {
            await EdgeContenders.WaitForOkAsync(http, contender, authorization, process);
        }

        using var wrk = new Wrk(options.Threads, options.Connections);
        Console.WriteLine();
        Console.WriteLine($"{wrk.Describe(options.Duration)}, warm-up {options.WarmUp.TotalSeconds:F0}-{options.WarmUpMax.TotalSeconds:F0} s per contender until steady (discarded), " +
            $"{options.Rounds} interleaved rounds; {Environment.ProcessorCount} cores; load average at start {string.Join(' ', load)}");
        Console.WriteLine($"GET {EdgeUpstream.Path} ({EdgeUpstream.Body.Length}-byte JSON), Host: env-<id>.localhost:<port>, " +
            "Authorization: Bearer <API token> (checked by the edge, passed through by the others)");
        if (options.EdgeEnvironment.Count > 0)
        {
            Console.WriteLine($"topology environment: {string.Join(' ', options.EdgeEnvironment.Select(e => $"{e.Key}={e.Value}"))}");
        }

        Console.WriteLine();
        Console.WriteLine($"{options.Environments} environments in the route table");
        var linesBefore = 0;
        var first = await MeasureAsync(wrk, options, authorization, upstream.ProcessId, contenders.Select(c => c.Contender).ToList(),
            async () => linesBefore = (await app.LogAsync("proxy")).Count);
        ReportEdgeLogging(await app.LogAsync("proxy"), linesBefore, first[edge.Name]);

        Console.WriteLine();
        Console.WriteLine($"Route table size, the edge alone: {options.Rounds} pairs of runs, {options.Environments} and {options.LargeTable}+ " +
            "environments, each pair back to back around one resize, the order alternating (small then large, large then small, ...)");
        var table = new EdgeTableSize(rows, dataSource, http, edge, ids, authorization, options);
        var pairs = new List<(WrkResult Small, WrkResult Large)>();
        for (var round = 1; round <= options.Rounds; round++)
        {
            var before = await RunAsync(wrk, edge, authorization, upstream.ProcessId, options.Duration);
            Console.WriteLine($"  round {round}  {table.Describe(),-36} {Describe(before)}");
            await table.ResizeAsync();
            // Discarded: the resize's notifications have just been applied, and the edge's heap has changed size.
            await RunAsync(wrk, edge, authorization, upstream.ProcessId, SettleAfterResize);
            var after = await RunAsync(wrk, edge, authorization, upstream.ProcessId, options.Duration);
            Console.WriteLine($"  round {round}  {table.Describe(),-36} {Describe(after)}");
            pairs.Add(table.IsLarge ? (before, after) : (after, before));
        }
        if (!table.IsLarge)
        {
            await table.ResizeAsync();
        }

        Console.WriteLine();
        Console.WriteLine($"Route propagation at {options.LargeTable + 1}+ routes: {options.PropagationSamples} rows, one at a time, " +
            $"at least {options.PropagationSpacing.TotalMilliseconds:F0} ms apart");
        var propagation = await PropagationAsync(http, rows, edge, ids, authorization, options);

        var loadAtEnd = (await File.ReadAllTextAsync("/proc/loadavg")).Split(' ')[..3];
        Console.WriteLine($"load average at the end {string.Join(' ', loadAtEnd)}");
        return Report(options, first, pairs, propagation, contenders.Select(c => c.Contender).ToList(), edge, bare);
    }

    /// <summary>How much the edge wrote to its console while it was measured: per-request logging is a cost of its own.</summary>
    private static void ReportEdgeLogging(IReadOnlyList<string> log, int before, List<WrkResult> runs)
    {
        var lines = log.Count - before;
        var requests = runs.Sum(r => r.Requests);
        Console.WriteLine($"  the edge printed {lines} console line(s) while the rounds ran ({requests} requests went through it)");
        if (lines > requests / 10 && log.Count > 0)
        {
            var last = log[^1];
            Console.WriteLine($"  e.g. {last[..Math.Min(last.Length, 160)]}");
        }
    }

    /// <summary>A warm-up per contender, then <see cref="EdgeBenchmarkOptions.Rounds"/> rounds of all of them in turn.</summary>
    private static async Task<Dictionary<string, List<WrkResult>>> MeasureAsync(
        Wrk wrk, EdgeBenchmarkOptions options, string authorization, int upstreamPid, IReadOnlyList<Contender> contenders, Func<Task>? warmedUp = null)
    {
        foreach (var contender in contenders)
        {
            await WarmUpAsync(wrk, options, authorization, upstreamPid, contender);
        }
        if (warmedUp is not null)
        {
            await warmedUp();
        }
        var results = contenders.ToDictionary(c => c.Name, _ => new List<WrkResult>());
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var contender in contenders)
            {
                var result = await RunAsync(wrk, contender, authorization, upstreamPid, options.Duration);
                results[contender.Name].Add(result);
                Console.WriteLine($"  round {round}  {contender.Name,-36} {Describe(result)}");
            }
        }
        return results;
    }

    /// <summary>
    /// Load in slices (discarded) for at least <see cref="EdgeBenchmarkOptions.WarmUp"/>, then until a slice is
    /// no more than <see cref="SteadyWithin"/> faster than the one before it, for at most
    /// <see cref="EdgeBenchmarkOptions.WarmUpMax"/>. With both cores loaded, the JIT's background compiles of a
    /// process with as much code as the edge's finish a minute or more after the load starts.
    /// </summary>
    private static async Task WarmUpAsync(Wrk wrk, EdgeBenchmarkOptions options, string authorization, int upstreamPid, Contender contender)
    {
        var slice = options.WarmUp < WarmUpSlice ? options.WarmUp : WarmUpSlice;
        var rates = new List<double>();
        var elapsed = TimeSpan.Zero;
        bool Steady() => rates.Count > 1 && rates[^1] <= rates[^2] * (1 + SteadyWithin);
        WrkResult last;
        do
        {
            last = await RunAsync(wrk, contender, authorization, upstreamPid, slice);
            rates.Add(last.RequestsPerSecond);
            elapsed += slice;
        }
        while (elapsed < options.WarmUpMax && (elapsed < options.WarmUp || !Steady()));
        Console.WriteLine($"  warm-up  {contender.Name,-36} {elapsed.TotalSeconds:F0} s, {(Steady() ? "steady" : "still rising")}: " +
            $"{string.Join(" > ", rates.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))} req/s; last {Describe(last)}");
    }

    /// <summary>One wrk run, with the CPU time the contender and the upstream spent on each request meanwhile.</summary>
    private static async Task<WrkResult> RunAsync(Wrk wrk, Contender contender, string authorization, int upstreamPid, TimeSpan duration)
    {
        var before = ProcessCpu.TreeTimes(contender.ProcessId, upstreamPid);
        var result = await wrk.RunAsync(contender.Url, contender.Host, authorization, duration);
        var after = ProcessCpu.TreeTimes(contender.ProcessId, upstreamPid);
        var requests = Math.Max(1, result.Requests);
        return result with
        {
            CpuUs = (after[0] - before[0]).TotalMicroseconds / requests,
            UpstreamCpuUs = (after[1] - before[1]).TotalMicroseconds / requests,
        };
    }

    private static string Describe(WrkResult result) =>
        $"{result.RequestsPerSecond,10:F0} req/s   p99 {result.P99Ms,8:F2} ms   CPU {result.CpuUs,6:F1} us/req (upstream {result.UpstreamCpuUs,5:F1}){Errors(result)}";

    private static async Task<List<double>> PropagationAsync(
        HttpClient http, EdgeRows rows, Contender edge, EnvironmentIds ids, string authorization, EdgeBenchmarkOptions options)
    {
        var samples = new List<double>(options.PropagationSamples);
        for (var i = 0; i < options.PropagationSamples; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var contender = edge.For(ids.Next());
            await rows.InsertAsync(contender.EnvironmentId);
            var committed = Stopwatch.GetTimestamp();
            while (true)
            {
                using var request = EdgeContenders.Request(contender, authorization);
                using var response = await http.SendAsync(request);
                await response.Content.ReadAsByteArrayAsync();
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    break;
                }
                if (Stopwatch.GetElapsedTime(committed) > PropagationTimeout)
                {
                    throw new TimeoutException($"{contender.EnvironmentId} still answered {(int)response.StatusCode} {PropagationTimeout} after its commit.");
                }
                await Task.Delay(1);
            }
            samples.Add(Stopwatch.GetElapsedTime(committed).TotalMilliseconds);
            var rest = options.PropagationSpacing - Stopwatch.GetElapsedTime(started);
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest);
            }
        }
        return samples;
    }

    private static int Report(
        EdgeBenchmarkOptions options,
        Dictionary<string, List<WrkResult>> first,
        List<(WrkResult Small, WrkResult Large)> pairs,
        List<double> propagation,
        List<Contender> contenders,
        Contender edge,
        Contender bare)
    {
        double Rps(Dictionary<string, List<WrkResult>> results, Contender c) => Percentiles.Of([.. results[c.Name].Select(r => r.RequestsPerSecond)], 0.5);
        double P99(Dictionary<string, List<WrkResult>> results, Contender c) => Percentiles.Of([.. results[c.Name].Select(r => r.P99Ms)], 0.5);
        double Cpu(Dictionary<string, List<WrkResult>> results, Contender c) => Percentiles.Of([.. results[c.Name].Select(r => r.CpuUs)], 0.5);
        double UpstreamCpu(Dictionary<string, List<WrkResult>> results, Contender c) => Percentiles.Of([.. results[c.Name].Select(r => r.UpstreamCpuUs)], 0.5);
        var (nginx, chp) = (contenders[3], contenders[4]);
        var met = true;

        void Ratio(string label, double value, double? target, string note = "")
        {
            var verdict = target is { } least ? (value >= least ? "met" : "MISSED") : string.Empty;
            met &= target is null || value >= target;
            var goal = target is { } t ? $"target >= {t:F2}" : "(reference)";
            Console.WriteLine($"  {label,-46} {value,8:F3}   {goal,-16} {verdict}{note}");
        }

        Console.WriteLine();
        Console.WriteLine($"Medians of {options.Rounds} rounds, {options.Environments} environments in the route table");
        Console.WriteLine($"  {"contender",-46} {"req/s",10} {"p99 ms",10} {"CPU us/req",12} {"upstream's",12}");
        foreach (var contender in contenders)
        {
            Console.WriteLine($"  {contender.Name,-46} {Rps(first, contender),10:F0} {P99(first, contender),10:F2} " +
                $"{Cpu(first, contender),12:F1} {UpstreamCpu(first, contender),12:F1}");
        }
        Console.WriteLine("Ratios of requests/s");
        Ratio("edge / bare YARP", Rps(first, edge) / Rps(first, bare), 0.90, "  (edge costs at most 10% more)");
        Ratio("edge / nginx", Rps(first, edge) / Rps(first, nginx), 0.80);
        Ratio("edge / configurable-http-proxy", Rps(first, edge) / Rps(first, chp), 2.50);
        Ratio("bare YARP / nginx", Rps(first, bare) / Rps(first, nginx), null);
        Ratio("bare YARP / configurable-http-proxy", Rps(first, bare) / Rps(first, chp), null);
        Console.WriteLine("Ratios of CPU time per request (lower is better; what each proxy's own work costs, however the cores were shared)");
        Console.WriteLine($"  {"edge / bare YARP",-46} {Cpu(first, edge) / Cpu(first, bare),8:F3}");
        Console.WriteLine($"  {"edge / nginx",-46} {Cpu(first, edge) / Cpu(first, nginx),8:F3}");
        Console.WriteLine($"  {"edge / configurable-http-proxy",-46} {Cpu(first, edge) / Cpu(first, chp),8:F3}");
        Console.WriteLine("Ratios of p99 latency (lower is better)");
        Console.WriteLine($"  {"edge / bare YARP",-46} {P99(first, edge) / P99(first, bare),8:F3}");
        Console.WriteLine($"  {"edge / nginx",-46} {P99(first, edge) / P99(first, nginx),8:F3}");
        Console.WriteLine($"  {"edge / configurable-http-proxy",-46} {P99(first, edge) / P99(first, chp),8:F3}");

        Console.WriteLine();
        Console.WriteLine($"The edge with {options.Environments} and with {options.LargeTable}+ environments in its route table, pairs measured back to back");
        Console.WriteLine($"  {"pair",-6} {"req/s small",12} {"req/s large",12} {"large/small",12} {"CPU us/req small",17} {"large",8}");
        for (var i = 0; i < pairs.Count; i++)
        {
            var (s, l) = pairs[i];
            Console.WriteLine($"  {i + 1,-6} {s.RequestsPerSecond,12:F0} {l.RequestsPerSecond,12:F0} {l.RequestsPerSecond / s.RequestsPerSecond,12:F3} {s.CpuUs,17:F1} {l.CpuUs,8:F1}");
        }
        Ratio($"edge req/s, {options.LargeTable} / {options.Environments} routes (median of pairs)",
            Percentiles.Of([.. pairs.Select(p => p.Large.RequestsPerSecond / p.Small.RequestsPerSecond)], 0.5), 0.95);

        Console.WriteLine();
        Console.WriteLine($"Route propagation, row committed -> first 200 through the edge ({propagation.Count} samples, ms)");
        var p99 = Percentiles.Of(propagation, 0.99);
        Console.WriteLine($"  p50 {Percentiles.Of(propagation, 0.5),7:F1}   p95 {Percentiles.Of(propagation, 0.95),7:F1}   " +
            $"p99 {p99,7:F1}   max {propagation.Max(),7:F1}   target p99 <= 100 ms {(p99 <= 100 ? "met" : "MISSED")}");
        met &= p99 <= 100;

        var failed = first.Where(entry => entry.Value.Any(r => r.Errors > 0)).Select(entry => entry.Key).ToList();
        if (pairs.Any(p => p.Small.Errors + p.Large.Errors > 0))
        {
            failed.Add(edge.Name + " (route table size)");
        }
        if (failed.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine($"Some runs had errors (non-2xx answers or socket errors), their numbers do not count: {string.Join(", ", failed)}");
            return 1;
        }
        return met ? 0 : 1;
    }

    private static string Errors(WrkResult result) =>
        result.Errors > 0 ? $"   ({result.Non2xx} non-2xx, {result.SocketErrors} socket errors of {result.Requests})" : string.Empty;

    /// <summary>A user created by the admin through the Api, and a personal API token of that user's.</summary>
    private static async Task<(Guid UserId, string Token)> CreateUserWithTokenAsync(Uri api)
    {
        var userName = "bench-edge-" + Guid.NewGuid().ToString("N")[..8];
        var password = "Pw-" + CredentialGenerator.NewToken()[..12];
        Guid userId;
        using (var admin = ApiClient(api))
        {
            (await admin.PostAsJsonAsync("/api/auth/login", new { user_name = "admin", password = AdminPassword })).EnsureSuccessStatusCode();
            using var created = await admin.PostAsJsonAsync("/api/users", new { user_name = userName, password, role = "user" });
            created.EnsureSuccessStatusCode();
            using var user = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
            userId = Guid.Parse(user.RootElement.GetProperty("id").GetString()!);
        }
        using var client = ApiClient(api);
        (await client.PostAsJsonAsync("/api/auth/login", new { user_name = userName, password })).EnsureSuccessStatusCode();
        using var response = await client.PostAsJsonAsync("/api/me/tokens", new { name = "bench-edge" });
        response.EnsureSuccessStatusCode();
        using var token = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (userId, token.RootElement.GetProperty("token").GetString()!);
    }

    private static HttpClient ApiClient(Uri api) =>
        new(new HttpClientHandler { UseCookies = true, CookieContainer = new CookieContainer() }) { BaseAddress = api };

    /// <summary>The platform's Data Protection key ring (in Redis), to protect Jupyter tokens as the Api does.</summary>
    private static IHost SecretsHost(IConnectionMultiplexer redis)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(redis);
        builder.AddPlatformDataProtection();
        return builder.Build();
    }

    private static string NginxVersion(string nginx)
    {
        using var process = Process.Start(new ProcessStartInfo(nginx, "-v") { RedirectStandardError = true, UseShellExecute = false })!;
        var output = process.StandardError.ReadToEnd().Trim();
        process.WaitForExit();
        return output[(output.LastIndexOf('/') + 1)..];
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
