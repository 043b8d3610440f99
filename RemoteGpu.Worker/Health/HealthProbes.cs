using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Health;
using RemoteGpu.Worker.Runtime;

namespace RemoteGpu.Worker.Health;

/// <summary>One probe's answer.</summary>
internal sealed record ProbeResult(string Check, bool Passed, string? Error);

/// <summary>
/// The probes' answers, and what they read on the way that the idle probes use too (read once per check):
/// nvidia-smi's report and code-server's heartbeat. Null where the probe did not run or failed.
/// </summary>
internal sealed record HealthReadings(IReadOnlyList<ProbeResult> Results, GpuReading? Gpu, DateTimeOffset? CodeServerHeartbeat);

/// <summary>
/// The probes of one running environment (DESIGN.md §10), each bounded by <see cref="HealthOptions.ProbeTimeout"/>:
/// the container as the engine sees it, the SSH banner on its published port, Jupyter's <c>/jupyter/api/status</c> with
/// the edge's token and code-server's <c>/healthz</c> on their recorded upstreams (where the image serves them), and
/// with GPUs, <c>nvidia-smi</c> inside the container. A probe never throws: what went wrong is its error.
/// </summary>
internal sealed class HealthProbes(
    IWorkspaceRuntime runtime,
    SshProbe ssh,
    EnvironmentSecrets secrets,
    WorkspaceHttp http,
    IOptions<HealthOptions> options)
{
    public async Task<HealthReadings> RunAsync(GpuEnvironment environment, AccessInfo access, CancellationToken cancellationToken)
    {
        GpuReading? gpu = null;
        DateTimeOffset? heartbeat = null;
        var container = await ProbeAsync(HealthCheckNames.Container, ct => ContainerAsync(environment.Id, ct), cancellationToken);
        var probes = new List<Task<ProbeResult>>
        {
            ProbeAsync(HealthCheckNames.Ssh, ct => SshAsync(access, ct), cancellationToken),
        };
        if (access.JupyterUpstream is { } jupyter && access.JupyterTokenProtected is { } token)
        {
            probes.Add(ProbeAsync(HealthCheckNames.Jupyter, ct => JupyterAsync(jupyter, token, ct), cancellationToken));
        }
        if (access.CodeServerUpstream is { } codeServer)
        {
            probes.Add(ProbeAsync(HealthCheckNames.CodeServer, async ct =>
            {
                (var error, heartbeat) = await CodeServerAsync(codeServer, ct);
                return error;
            }, cancellationToken));
        }
        if (environment.GpuCount > 0 && container.Passed)
        {
            probes.Add(ProbeAsync(HealthCheckNames.Gpu, async ct =>
            {
                gpu = await NvidiaSmi.ReadAsync(runtime, environment.Id, options.Value.NvidiaSmi, ct);
                return gpu.Gpus.Count == environment.GpuCount ? null : $"{gpu.Gpus.Count} of {environment.GpuCount} GPUs visible";
            }, cancellationToken));
        }
        return new HealthReadings([container, .. await Task.WhenAll(probes)], gpu, heartbeat);
    }

    private async Task<ProbeResult> ProbeAsync(string check, Func<CancellationToken, Task<string?>> probe, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.ProbeTimeout);
        var clock = Stopwatch.StartNew();
        string? error;
        try
        {
            error = await probe(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = $"no answer within {options.Value.ProbeTimeout.TotalSeconds:0.#} s";
        }
        catch (Exception ex) when (ex is HttpRequestException or WorkspaceRuntimeException or IOException or FormatException or JsonException)
        {
            error = ex.Message;
        }
        WorkerTelemetry.HealthProbeDuration.Record(clock.Elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("check", check), new KeyValuePair<string, object?>("passed", error is null));
        return new ProbeResult(check, error is null, error);
    }

    private async Task<string?> ContainerAsync(string environmentId, CancellationToken cancellationToken)
    {
        var instance = await runtime.InspectAsync(environmentId, cancellationToken);
        return instance switch
        {
            null => "no container",
            { State: WorkspaceState.Running } => null,
            _ => $"container {instance.State.ToString().ToLowerInvariant()}",
        };
    }

    private async Task<string?> SshAsync(AccessInfo access, CancellationToken cancellationToken) =>
        access.SshPort is not { } port ? "no SSH port"
        : await ssh.IsReadyAsync(port, cancellationToken) ? null
        : $"no SSH banner on port {port}";

    private async Task<string?> JupyterAsync(string upstream, string protectedToken, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(upstream, "/jupyter/api/status", secrets.Unprotect(protectedToken), cancellationToken);
        return response.IsSuccessStatusCode ? null : $"/jupyter/api/status answered {(int)response.StatusCode}";
    }

    /// <summary>
    /// <c>{"status":"alive"|"expired","lastHeartbeat":…}</c>: "expired" only says nobody used it lately, which is the idle
    /// probes' business; they get the heartbeat (moved by every request to code-server but this one).
    /// </summary>
    private async Task<(string? Error, DateTimeOffset? Heartbeat)> CodeServerAsync(string upstream, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(upstream, "/healthz", null, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return ($"/healthz answered {(int)response.StatusCode}", null);
        }
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var health = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        if (!health.RootElement.TryGetProperty("status", out _))
        {
            return ($"/healthz answered {(int)response.StatusCode} without a status", null);
        }
        return health.RootElement.TryGetProperty("lastHeartbeat", out var beat) && beat.ValueKind == JsonValueKind.Number
            && beat.TryGetInt64(out var milliseconds) && milliseconds > 0
            ? (null, DateTimeOffset.FromUnixTimeMilliseconds(milliseconds))
            : (null, null);
    }
}
