using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Health;
using RemoteGpu.Worker.Runtime;

namespace RemoteGpu.Worker.Health;

/// <summary>One probe's answer.</summary>
internal sealed record ProbeResult(string Check, bool Passed, string? Error);

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
    IOptions<HealthOptions> options) : IDisposable
{
    // Its own client: the services' default one retries (resilience handler), which would hide a failing probe.
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async Task<IReadOnlyList<ProbeResult>> RunAsync(GpuEnvironment environment, AccessInfo access, CancellationToken cancellationToken)
    {
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
            probes.Add(ProbeAsync(HealthCheckNames.CodeServer, ct => CodeServerAsync(codeServer, ct), cancellationToken));
        }
        if (environment.GpuCount > 0 && container.Passed)
        {
            probes.Add(ProbeAsync(HealthCheckNames.Gpu, ct => GpuAsync(environment, ct), cancellationToken));
        }
        return [container, .. await Task.WhenAll(probes)];
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
        catch (Exception ex) when (ex is HttpRequestException or WorkspaceRuntimeException or IOException or FormatException)
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
        using var request = new HttpRequestMessage(HttpMethod.Get, upstream.TrimEnd('/') + "/jupyter/api/status");
        request.Headers.Authorization = new AuthenticationHeaderValue("token", secrets.Unprotect(protectedToken));
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return response.IsSuccessStatusCode ? null : $"/jupyter/api/status answered {(int)response.StatusCode}";
    }

    private async Task<string?> CodeServerAsync(string upstream, CancellationToken cancellationToken)
    {
        // {"status":"alive"|"expired","lastHeartbeat":…}: "expired" only says nobody used it lately (the idle probes' business).
        using var response = await _http.GetAsync(upstream.TrimEnd('/') + "/healthz", cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return response.IsSuccessStatusCode && body.Contains("\"status\"", StringComparison.Ordinal)
            ? null
            : $"/healthz answered {(int)response.StatusCode}";
    }

    private async Task<string?> GpuAsync(GpuEnvironment environment, CancellationToken cancellationToken)
    {
        var reading = await NvidiaSmi.ReadAsync(runtime, environment.Id, options.Value.NvidiaSmi, cancellationToken);
        return reading.Gpus.Count == environment.GpuCount ? null : $"{reading.Gpus.Count} of {environment.GpuCount} GPUs visible";
    }

    public void Dispose() => _http.Dispose();
}
