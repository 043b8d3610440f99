using System.Globalization;

namespace RemoteGpu.Bench;

/// <summary>The edge benchmark's settings: <c>edge [--threads 1] [--connections 32] [--duration 10] …</c>.</summary>
internal sealed record EdgeBenchmarkOptions
{
    public const string Usage = """
        usage: RemoteGpu.Bench edge [options]
          --threads N            wrk threads (1)
          --connections N        wrk connections (32)
          --duration S           seconds per measured run (10)
          --warmup S             least seconds of discarded warm-up per contender (30), run in slices of up to 10 s
                                 until a slice is no more than 3% faster than the one before: the edge's JIT
                                 tiers up for a minute or more while both cores are loaded
          --warmup-max S         most seconds of warm-up per contender (120)
          --rounds N             interleaved rounds, medians reported (3)
          --environments N       environments in the route table for the first comparison (10)
          --large N              environments in the route table for the second (10000)
          --propagation N        route propagation samples at the large table (200)
          --spacing MS           least time between two propagation samples (150: 200 samples span one full reload)
          --edge-env NAME=VALUE  set in the topology's environment (every service inherits it), to try a
                                 runtime or configuration tuning of the edge without a rebuild; repeatable
        """;

    public int Threads { get; init; } = 1;
    public int Connections { get; init; } = 32;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan WarmUpMax { get; init; } = TimeSpan.FromSeconds(120);
    public int Rounds { get; init; } = 3;
    public int Environments { get; init; } = 10;
    public int LargeTable { get; init; } = 10_000;
    public int PropagationSamples { get; init; } = 200;
    public TimeSpan PropagationSpacing { get; init; } = TimeSpan.FromMilliseconds(150);
    public IReadOnlyList<KeyValuePair<string, string>> EdgeEnvironment { get; init; } = [];

    /// <summary>The options, or <c>null</c> (and a message on stderr) when the arguments are not understood.</summary>
    public static EdgeBenchmarkOptions? Parse(IReadOnlyList<string> args)
    {
        var options = new EdgeBenchmarkOptions();
        var environment = new List<KeyValuePair<string, string>>();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "--help" or "-h")
            {
                return null;
            }
            if (i + 1 >= args.Count)
            {
                Console.Error.WriteLine($"{name}: missing value");
                return null;
            }
            var value = args[++i];
            if (name == "--edge-env")
            {
                var equals = value.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    Console.Error.WriteLine($"--edge-env {value}: expected NAME=VALUE");
                    return null;
                }
                environment.Add(new(value[..equals], value[(equals + 1)..]));
                continue;
            }
            if (!int.TryParse(value, CultureInfo.InvariantCulture, out var number) || number <= 0)
            {
                Console.Error.WriteLine($"{name} {value}: expected a positive whole number");
                return null;
            }
            options = name switch
            {
                "--threads" => options with { Threads = number },
                "--connections" => options with { Connections = number },
                "--duration" => options with { Duration = TimeSpan.FromSeconds(number) },
                "--warmup" => options with { WarmUp = TimeSpan.FromSeconds(number) },
                "--warmup-max" => options with { WarmUpMax = TimeSpan.FromSeconds(number) },
                "--rounds" => options with { Rounds = number },
                "--environments" => options with { Environments = number },
                "--large" => options with { LargeTable = number },
                "--propagation" => options with { PropagationSamples = number },
                "--spacing" => options with { PropagationSpacing = TimeSpan.FromMilliseconds(number) },
                _ => null,
            };
            if (options is null)
            {
                Console.Error.WriteLine($"unknown option {name}");
                return null;
            }
        }
        if (options.WarmUpMax < options.WarmUp)
        {
            Console.Error.WriteLine("--warmup-max must be at least --warmup");
            return null;
        }
        if (options.LargeTable <= options.Environments)
        {
            Console.Error.WriteLine("--large must be more than --environments");
            return null;
        }
        return options with { EdgeEnvironment = environment };
    }
}
