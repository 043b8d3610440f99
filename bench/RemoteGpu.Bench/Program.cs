using RemoteGpu.Bench;

// Benchmarks print ratios measured side by side in one run; results go to docs/benchmarks.md.
//   dotnet run -c Release --project bench/RemoteGpu.Bench -- apphost|login|provision|edge|health|health-phases|idle
return args.FirstOrDefault() switch
{
    "apphost" => await AppHostBenchmark.RunAsync(args[1..]),
    "login" => await LoginBenchmark.RunAsync(),
    "provision" => await ProvisionBenchmark.RunAsync(),
    "edge" => await EdgeBenchmark.RunAsync(args[1..]),
    "health" => await HealthBenchmark.RunAsync(args[1..]),
    "idle" => await IdleBenchmark.RunAsync(),
    "health-phases" => await HealthPhasesBenchmark.RunAsync(args[1..]),
    // The edge benchmark's own child processes.
    EdgeUpstream.Command => await EdgeUpstream.RunAsync(args[1..]),
    EdgeBareYarp.Command => await EdgeBareYarp.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: RemoteGpu.Bench apphost|login|provision|edge|health|health-phases|idle [apphost/edge/health options; edge --help lists them]");
    return 2;
}
