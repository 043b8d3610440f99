using System.Diagnostics;
using System.Globalization;
using Docker.DotNet;
using RemoteGpu.Tests.AppHost;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Bench;

/// <summary>
/// The AppHost on Aspire 13.6 beside the home-made one it replaced (the imitation, built from a git revision into a
/// worktree), each run as a person runs it: <c>dotnet run --project RemoteGpu.AppHost</c> in Release, Postgres and Redis
/// as containers from the same stand-in images, the dashboard on. Rounds alternate between the two. Per round: process
/// start to the AppHost's own "every resource is healthy" line; the memory (PSS) of what orchestrates (the AppHost,
/// DCP, the dashboard, the <c>dotnet run</c> launchers) and of the services; Ctrl+C (SIGINT to the process group) to
/// the run command's exit, and to nothing of ours left (processes and containers).
/// Target: start within 1.5× of the imitation's.
/// </summary>
internal static class AppHostBenchmark
{
    /// <summary>The last commit with the imitation (RemoteGpu.AppHost/Hosting, Orchestration, Dashboard, Testing).</summary>
    public const string ImitationRevision = "c2c2c50";

    private const string AdminPassword = "Bench-admin-pass-1";
    private static readonly TimeSpan ReadyTimeout = TestPlatform.StartTimeout;
    private static readonly TimeSpan GoneTimeout = TimeSpan.FromMinutes(1);

    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = 3;
        var revision = ImitationRevision;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var n) && n > 0:
                    rounds = n;
                    i++;
                    break;
                case "--imitation" when i + 1 < args.Length:
                    revision = args[++i];
                    break;
                default:
                    Console.Error.WriteLine("usage: RemoteGpu.Bench apphost [--rounds N (3)] [--imitation <git revision> (" + ImitationRevision + ")]");
                    return 2;
            }
        }

        var repository = Repository.Root;
        var work = Directory.CreateTempSubdirectory("remotegpu-bench-apphost-").FullName;
        var imitation = Path.Combine(work, "imitation");
        try
        {
            Console.WriteLine($"Building the imitation ({revision}) in a worktree, and this AppHost, in Release...");
            await CommandAsync("git", "-C", repository, "worktree", "add", "--detach", imitation, revision);
            await CommandAsync("dotnet", "build", Path.Combine(imitation, "RemoteGpu.AppHost"), "-c", "Release", "--nologo", "-clp:ErrorsOnly");
            await CommandAsync("dotnet", "build", Path.Combine(repository, "RemoteGpu.AppHost"), "-c", "Release", "--nologo", "-clp:ErrorsOnly");

            var contenders = new Contender[]
            {
                new("imitation", imitation, "RemoteGpu is running", (edge, dashboard, state) =>
                [
                    "--AppHost:ContainerRuntime=Docker", "--AppHost:Postgres:Image=remotegpu/postgres-test:latest",
                    "--AppHost:Redis:Image=remotegpu/redis-test:latest", $"--AppHost:StateDirectory={state}",
                    $"--AppHost:ProxyPort={edge}", $"--AppHost:Dashboard:Port={dashboard[0]}",
                ]),
                new("Aspire 13.6", repository, AppHostProcess.ReadyLine, (edge, dashboard, _) =>
                [
                    $"--ASPNETCORE_URLS=http://localhost:{dashboard[0]}", $"--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://localhost:{dashboard[1]}",
                    $"--ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://localhost:{dashboard[2]}", .. TestPlatform.Arguments(edge),
                ]),
            };

            Console.WriteLine($"{rounds} rounds, alternating; {Environment.ProcessorCount} cores; load average at start {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
            var results = contenders.ToDictionary(contender => contender.Name, _ => new List<Round>());
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var contender in round % 2 == 1 ? contenders : contenders.Reverse())
                {
                    var result = await RunOnceAsync(contender, work);
                    results[contender.Name].Add(result);
                    Console.WriteLine($"  round {round}  {contender.Name,-12} {result}");
                }
            }

            Console.WriteLine();
            Console.WriteLine("medians               start to healthy   machine CPU to healthy   Ctrl+C to exit   to nothing left   orchestration PSS   services PSS");
            foreach (var (name, list) in results)
            {
                Console.WriteLine($"  {name,-19} {Median(list, r => r.Ready.TotalSeconds),10:F1} s {Median(list, r => r.BusyCpu),20:F1} s " +
                    $"{Median(list, r => r.Exit.TotalSeconds),14:F1} s {Median(list, r => r.Gone.TotalSeconds),15:F1} s " +
                    $"{Median(list, r => r.OrchestrationMb),16:F0} MB {Median(list, r => r.ServicesMb),12:F0} MB");
            }
            var aspire = results[contenders[1].Name];
            var old = results[contenders[0].Name];
            Console.WriteLine();
            Console.WriteLine($"Aspire ÷ imitation: start {Median(aspire, r => r.Ready.TotalSeconds) / Median(old, r => r.Ready.TotalSeconds):F2} (target ≤ 1.5), " +
                $"Ctrl+C to nothing left {Median(aspire, r => r.Gone.TotalSeconds) / Median(old, r => r.Gone.TotalSeconds):F2}, " +
                $"orchestration memory {Median(aspire, r => r.OrchestrationMb) / Median(old, r => r.OrchestrationMb):F2}");
            Console.WriteLine("Aspire's orchestration memory by part (median MB): " + string.Join(", ",
                aspire.SelectMany(r => r.Parts.Keys).Distinct().Select(part => $"{part} {Median(aspire, r => r.Parts.GetValueOrDefault(part)):F0}")));
            return 0;
        }
        finally
        {
            await CommandAsync("git", "-C", repository, "worktree", "remove", "--force", imitation);
            Directory.Delete(work, recursive: true);
            await TestPlatform.RemoveDataVolumesAsync();
        }
    }

    private static async Task<Round> RunOnceAsync(Contender contender, string work)
    {
        using var docker = new DockerClientBuilder().Build();
        var before = await Leftovers.BeforeAsync(docker);
        var state = Directory.CreateDirectory(Path.Combine(work, "state-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var busyBefore = ProcessCpu.MachineBusy();
        await using var appHost = AppHostProcess.Start(contender.Directory, "Release", contender.ReadyLine,
            [("Parameters__admin-password", AdminPassword)], (edge, dashboard) => contender.Arguments(edge, dashboard, state));
        var ready = await appHost.WaitForReadyAsync(ReadyTimeout);

        var busy = ProcessCpu.MachineBusy() - busyBefore;
        var parts = new Dictionary<string, double>();
        var cpu = new Dictionary<string, double>();
        foreach (var ours in before.NewProcesses())
        {
            var part = PartOf(ours.CommandLine) ?? "services";
            parts[part] = parts.GetValueOrDefault(part) + ProportionalMegabytes(ours.Pid);
            cpu[part] = cpu.GetValueOrDefault(part) + ProcessCpu.Of(ours.Pid).TotalSeconds;
        }
        var services = parts.Remove("services", out var servicesMb) ? servicesMb : 0;

        var stopping = Stopwatch.StartNew();
        await appHost.InterruptAsync();
        if (!await appHost.WaitForExitAsync(GoneTimeout))
        {
            throw new InvalidOperationException($"{contender.Name} still runs {GoneTimeout} after Ctrl+C:\n{appHost.Output}");
        }
        var exit = stopping.Elapsed;
        var left = await before.WaitUntilGoneAsync(docker, GoneTimeout);
        return new Round(ready, exit, stopping.Elapsed, left.Count, parts, services, busy.TotalSeconds, cpu);
    }

    /// <summary>What orchestrates, by the command line; null for a service of ours.</summary>
    private static string? PartOf(string commandLine) => commandLine switch
    {
        _ when commandLine.StartsWith("dotnet run", StringComparison.Ordinal) => "dotnet run launchers",
        _ when commandLine.Contains("/tools/dcp", StringComparison.Ordinal) => "DCP",
        _ when commandLine.Contains("Aspire.Dashboard", StringComparison.Ordinal) => "dashboard",
        _ when commandLine.Contains("RemoteGpu.AppHost", StringComparison.Ordinal) => "AppHost",
        _ => null,
    };

    /// <summary>Proportional set size: shared pages divided among their users, so parts add up.</summary>
    private static double ProportionalMegabytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/smaps_rollup").FirstOrDefault(l => l.StartsWith("Pss:", StringComparison.Ordinal));
            return line is null ? 0 : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException)
        {
            return 0; // Gone.
        }
    }

    private static double Median(IEnumerable<Round> rounds, Func<Round, double> value) => Percentiles.Of([.. rounds.Select(value)], 0.5);

    private static async Task CommandAsync(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
        }
    }

    private sealed record Contender(string Name, string Directory, string ReadyLine, Func<int, int[], string, string[]> Arguments);

    /// <summary>
    /// One start and stop. <c>BusyCpu</c>: the CPU seconds the whole machine spent from the start to ready (2 cores: at
    /// most twice the wall time); <c>Cpu</c>: what each part of ours had used by then itself (launchers not counting
    /// their children).
    /// </summary>
    private sealed record Round(TimeSpan Ready, TimeSpan Exit, TimeSpan Gone, int Left, Dictionary<string, double> Parts, double ServicesMb,
        double BusyCpu, Dictionary<string, double> Cpu)
    {
        public double OrchestrationMb => Parts.Values.Sum();

        public override string ToString() =>
            $"ready {Ready.TotalSeconds,5:F1} s (machine CPU {BusyCpu:F1} s: {string.Join(", ", Cpu.Select(p => $"{p.Key} {p.Value:F1}"))}), " +
            $"exit {Exit.TotalSeconds,4:F1} s, nothing left {Gone.TotalSeconds,4:F1} s{(Left > 0 ? $" ({Left} LEFT)" : "")}, " +
            $"orchestration {OrchestrationMb,4:F0} MB ({string.Join(", ", Parts.Select(p => $"{p.Key} {p.Value:F0}"))}), services {ServicesMb,4:F0} MB";
    }
}
