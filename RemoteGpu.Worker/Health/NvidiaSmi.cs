using System.Globalization;
using System.Numerics;
using RemoteGpu.Worker.Runtime;

namespace RemoteGpu.Worker.Health;

/// <summary>One GPU as <c>nvidia-smi --query-gpu</c> reports it; null where it printed <c>[N/A]</c>.</summary>
internal sealed record GpuSample(int Index, string Uuid, string Name, int? UtilizationPercent, long? MemoryUsedMiB, long? MemoryTotalMiB);

/// <summary>What <c>nvidia-smi</c> said about a workspace's GPUs: each GPU, and how many processes compute on them.</summary>
internal sealed record GpuReading(IReadOnlyList<GpuSample> Gpus, int ComputeProcesses);

/// <summary>Asks <c>nvidia-smi</c> inside a workspace about its GPUs, and reads its CSV.</summary>
internal static class NvidiaSmi
{
    /// <summary>Runs <paramref name="command"/> (nvidia-smi, or a stand-in) in the workspace with both queries.</summary>
    /// <exception cref="WorkspaceRuntimeException">It failed (no driver, no GPU): the message says what it printed.</exception>
    /// <exception cref="FormatException">It printed something else than nvidia-smi prints.</exception>
    public static async Task<GpuReading> ReadAsync(IWorkspaceRuntime runtime, string environmentId, string command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var gpus = await runtime.ExecAsync(environmentId, [command, .. QueryArguments], null, cancellationToken);
        ThrowIfFailed(command, gpus);
        var apps = await runtime.ExecAsync(environmentId, [command, .. ComputeAppsArguments], null, cancellationToken);
        ThrowIfFailed(command, apps);
        return new GpuReading(Parse(gpus.StandardOutput), ParseComputeApps(apps.StandardOutput));
    }

    private static void ThrowIfFailed(string command, ExecResult result)
    {
        if (result.ExitCode != 0)
        {
            var said = result.StandardError.Trim() is { Length: > 0 } stderr ? stderr : result.StandardOutput.Trim();
            throw new WorkspaceRuntimeException($"{command} exited with {result.ExitCode}: {Shorten(said)}");
        }
    }

    /// <summary>The arguments after the command: one line per GPU, without header or units.</summary>
    public static readonly IReadOnlyList<string> QueryArguments =
        ["--query-gpu=index,uuid,name,utilization.gpu,memory.used,memory.total", "--format=csv,noheader,nounits"];

    /// <summary>The arguments that list the processes computing on the GPUs: one line each.</summary>
    public static readonly IReadOnlyList<string> ComputeAppsArguments = ["--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"];

    /// <summary>How many compute processes <see cref="ComputeAppsArguments"/> listed.</summary>
    /// <exception cref="FormatException">A line is not a pid and a memory figure.</exception>
    public static int ParseComputeApps(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var count = 0;
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("No running", StringComparison.Ordinal))
            {
                continue;
            }
            var fields = line.Split(',', StringSplitOptions.TrimEntries);
            if (fields.Length != 2 || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                throw new FormatException($"Not a line of nvidia-smi --query-compute-apps: '{Shorten(line)}'.");
            }
            count++;
        }
        return count;
    }

    /// <summary>Parses the output of <see cref="QueryArguments"/>; a line that is not six fields is an error.</summary>
    /// <exception cref="FormatException">The output is not what nvidia-smi prints.</exception>
    public static IReadOnlyList<GpuSample> Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var samples = new List<GpuSample>();
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }
            var fields = line.Split(',', StringSplitOptions.TrimEntries);
            if (fields.Length != 6 || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                throw new FormatException($"Not a line of nvidia-smi --query-gpu: '{Shorten(line)}'.");
            }
            samples.Add(new GpuSample(index, fields[1], fields[2], Number<int>(fields[3]), Number<long>(fields[4]), Number<long>(fields[5])));
        }
        return samples;
    }

    /// <summary>A number, or null for what nvidia-smi writes when it has none (<c>[N/A]</c>, <c>[Not Supported]</c>).</summary>
    private static T? Number<T>(string field)
        where T : struct, INumber<T> =>
        field.StartsWith('[') ? null
        : T.TryParse(field, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value
        : throw new FormatException($"Not a number in nvidia-smi's output: '{Shorten(field)}'.");

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
