using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Idle;
using RemoteGpu.Worker.Health;
using RemoteGpu.Worker.Runtime;
using StackExchange.Redis;

namespace RemoteGpu.Worker.Idle;

/// <summary>
/// Looks for anything working in a running environment (DESIGN.md §10) and records each source's last activity:
/// SSH sessions (sshd's per-session processes), busy Jupyter kernels and the kernels' and terminals' own
/// <c>last_activity</c>, code-server's heartbeat, requests through the edge, the container's CPU use between two probes, and with GPUs their
/// utilisation and compute processes (nvidia-smi). Returns the sources it could not read: a verdict of idle is never
/// acted on without all of them.
/// </summary>
internal sealed partial class ActivityProbes(
    IWorkspaceRuntime runtime,
    EnvironmentSecrets secrets,
    IConnectionMultiplexer redis,
    WorkspaceHttp http,
    IOptions<IdleOptions> idle,
    IOptions<HealthOptions> health)
{
    /// <summary>
    /// One exec of three processes, nothing beyond coreutils (the probe's own CPU cost counts against the CPU source):
    /// every process's command line (sshd names its session processes <c>sshd: user@pts/0</c>), each after a
    /// <c>==&gt; file &lt;==</c> header, then the cgroup's CPU time (v2 <c>cpu.stat</c>, v1 <c>cpuacct.usage</c>).
    /// </summary>
    private static readonly IReadOnlyList<string> ProcessesAndCpu =
    [
        "sh", "-c",
        "head -v -c 512 /proc/[0-9]*/cmdline 2>/dev/null; echo; echo @@cpu; " +
        "cat /sys/fs/cgroup/cpu.stat /sys/fs/cgroup/cpuacct/cpuacct.usage 2>/dev/null; true",
    ];

    /// <summary>
    /// Records each source seen active in <paramref name="activity"/>; returns the sources it could not read. nvidia-smi
    /// and code-server's heartbeat come from <paramref name="readings"/>, what this check's health probes read: not asked twice.
    /// </summary>
    public async Task<IReadOnlyList<string>> ProbeAsync(
        GpuEnvironment environment, AccessInfo access, HealthReadings readings, EnvironmentActivity activity, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var failed = new List<string>();
        if (readings.CodeServerHeartbeat is { } heartbeat)
        {
            activity.Saw(ActivitySources.CodeServer, heartbeat, "editor");
        }
        if (environment.GpuCount > 0)
        {
            if (readings.Gpu is { } gpu)
            {
                RecordGpu(activity, gpu, now, idle.Value);
            }
            else
            {
                failed.Add(ActivitySources.Gpu);
            }
        }
        async Task Try(string source, Func<CancellationToken, Task> probe)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(health.Value.ProbeTimeout);
            try
            {
                await probe(timeout.Token);
            }
            catch (Exception ex) when (ex is HttpRequestException or WorkspaceRuntimeException or IOException or FormatException or JsonException or RedisException
                || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                lock (failed)
                {
                    failed.Add(source);
                }
            }
        }

        await Task.WhenAll(
            Try("processes", ct => ProcessesAsync(environment.Id, activity, now, ct)),
            Try(ActivitySources.Edge, _ => EdgeAsync(environment.Id, activity)),
            access.JupyterUpstream is { } jupyter && access.JupyterTokenProtected is { } token
                ? Try(ActivitySources.Kernel, ct => JupyterAsync(jupyter, secrets.Unprotect(token), activity, now, ct))
                : Task.CompletedTask);
        return failed;
    }

    private async Task ProcessesAsync(string environmentId, EnvironmentActivity activity, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var result = await runtime.ExecAsync(environmentId, ProcessesAndCpu, null, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new WorkspaceRuntimeException($"Listing processes exited with {result.ExitCode}.");
        }
        var (sessions, cpu) = ParseProcessesAndCpu(result.StandardOutput);
        if (sessions > 0)
        {
            activity.Saw(ActivitySources.Ssh, now, sessions == 1 ? "1 session" : $"{sessions} sessions");
        }
        if (cpu is { } usage)
        {
            if (activity.CpuUsageNanoseconds is { } before && activity.CpuSampledAt is { } at && now > at && usage >= before)
            {
                var percent = (usage - before) / ((now - at).TotalMilliseconds * 1e6) * 100;
                if (percent >= idle.Value.CpuThresholdPercent)
                {
                    activity.Saw(ActivitySources.Cpu, now, string.Create(CultureInfo.InvariantCulture, $"{percent:0}% of a core"));
                }
            }
            activity.CpuUsageNanoseconds = usage;
            activity.CpuSampledAt = now;
        }
    }

    /// <summary>SSH sessions (authenticated sshd session processes) and the cgroup's CPU time in nanoseconds.</summary>
    internal static (int Sessions, long? CpuNanoseconds) ParseProcessesAndCpu(string output)
    {
        // The last marker: the probe's own command line (listed among the processes) holds the word too, and the
        // processes after it in the glob's order (a session's /proc/83 after the probe's /proc/198) would be lost.
        var marker = output.LastIndexOf("@@cpu", StringComparison.Ordinal);
        var processes = (marker < 0 ? output : output[..marker]).Replace('\0', ' ');
        var sessions = processes.Split('\n').Count(line => SshSession().IsMatch(line.TrimEnd()));
        long? cpu = null;
        if (marker >= 0)
        {
            foreach (var line in output[(marker + 5)..].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (line.StartsWith("usage_usec ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(11), CultureInfo.InvariantCulture, out var micros))
                {
                    cpu = micros * 1000;
                }
                else if (long.TryParse(line, CultureInfo.InvariantCulture, out var nanos))
                {
                    cpu = nanos;
                }
            }
        }
        return (sessions, cpu);
    }

    private async Task EdgeAsync(string environmentId, EnvironmentActivity activity)
    {
        var value = await redis.GetDatabase().HashGetAsync(EdgeActivityKeys.Hash, environmentId);
        if (value.HasValue && value.TryParse(out long milliseconds))
        {
            activity.Saw(ActivitySources.Edge, DateTimeOffset.FromUnixTimeMilliseconds(milliseconds), "requests");
        }
    }

    private async Task JupyterAsync(string upstream, string token, EnvironmentActivity activity, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var kernels = await http.GetJsonAsync(upstream, "/jupyter/api/kernels", token, cancellationToken);
        var busy = 0;
        foreach (var kernel in kernels.RootElement.EnumerateArray())
        {
            if (kernel.TryGetProperty("execution_state", out var state) && state.GetString() is "busy" or "starting")
            {
                busy++;
            }
            else if (LastActivity(kernel) is { } last)
            {
                activity.Saw(ActivitySources.Kernel, last, "kernel");
            }
        }
        if (busy > 0)
        {
            activity.Saw(ActivitySources.Kernel, now, busy == 1 ? "1 busy kernel" : $"{busy} busy kernels");
        }
        using var terminals = await http.GetJsonAsync(upstream, "/jupyter/api/terminals", token, cancellationToken);
        foreach (var terminal in terminals.RootElement.EnumerateArray())
        {
            if (LastActivity(terminal) is { } last)
            {
                activity.Saw(ActivitySources.Terminal, last, "terminal");
            }
        }
    }

    private static DateTimeOffset? LastActivity(JsonElement item) =>
        item.TryGetProperty("last_activity", out var value) && value.ValueKind == JsonValueKind.String
        && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : null;

    /// <summary>
    /// A GPU at the threshold or above is working; memory held at 0 % is "idle GPU held", reported, and counted as
    /// working (its compute processes) only unless the policy stops such environments.
    /// </summary>
    internal static void RecordGpu(EnvironmentActivity activity, GpuReading reading, DateTimeOffset now, IdleOptions policy)
    {
        var busiest = reading.Gpus.Count == 0 ? 0 : reading.Gpus.Max(s => s.UtilizationPercent ?? 0);
        if (busiest >= policy.GpuThresholdPercent)
        {
            activity.Saw(ActivitySources.Gpu, now, $"{busiest}%");
            activity.IdleGpuHeldSince = null;
            return;
        }
        var held = reading.ComputeProcesses > 0 || reading.Gpus.Any(s => s.MemoryUsedMiB > 0);
        activity.IdleGpuHeldSince = held ? activity.IdleGpuHeldSince ?? now : null;
        if (reading.ComputeProcesses > 0 && !policy.StopIdleGpuHeld)
        {
            activity.Saw(ActivitySources.Gpu, now, reading.ComputeProcesses == 1 ? "1 compute process at 0%" : $"{reading.ComputeProcesses} compute processes at 0%");
        }
    }

    /// <summary><c>sshd: user@pts/0</c>, <c>sshd: user@notty</c>, or <c>sshd: user</c> before a channel opens; not [priv], [net], [listener].</summary>
    [GeneratedRegex(@"^sshd: [a-z_][a-z0-9_-]*(@\S+)?$")]
    private static partial Regex SshSession();
}
