using RemoteGpu.Bench;

// Benchmarks print ratios measured side by side in one run; results go to docs/benchmarks.md.
//   dotnet run -c Release --project bench/RemoteGpu.Bench -- login|provision
return args.FirstOrDefault() switch
{
    "login" => await LoginBenchmark.RunAsync(),
    "provision" => await ProvisionBenchmark.RunAsync(),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: RemoteGpu.Bench login|provision");
    return 2;
}
