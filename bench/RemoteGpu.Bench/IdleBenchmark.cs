using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Docker.DotNet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Renci.SshNet;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Idle;
using RemoteGpu.Worker.Health;
using RemoteGpu.Worker.Idle;
using RemoteGpu.Worker.Runtime.Docker;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace RemoteGpu.Bench;

/// <summary>
/// Idle detection accuracy (issue 14, "Measured"): scripted scenarios in real workspaces of the test image, each judged
/// by the worker's own probes (<see cref="HealthProbes"/>, then <see cref="ActivityProbes"/>) and the idle rule
/// (<see cref="IdleVerdict.Decide"/>) over one production interval: probed at the start of a window, probed again 15 s
/// later, and judged with a 10 s timeout counted from the window's start, so that whatever was not seen working in the
/// window would be stopped. The GPU is the test image's <c>nvidia-smi-fake</c>, scripted as a job would make nvidia-smi
/// answer; the environment is given one GPU in memory (the row has none: this machine has no GPU to allocate).
/// </summary>
internal static class IdleBenchmark
{
    private const string Fake = "nvidia-smi-fake";
    private const int Rounds = 3;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private sealed record Scenario(string Name, string Expected, bool Gpu, IdleOptions Policy, Func<IdleDecision, EnvironmentActivity, bool> Right);

    public static async Task<int> RunAsync()
    {
        Console.WriteLine($"load {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the start; {Environment.ProcessorCount} cores");
        Console.WriteLine("Starting the topology...");
        await using var platform = await HealthPlatform.StartAsync(new Dictionary<string, string>());
        using var admin = await platform.AdminAsync();
        var (_, owner) = await platform.UserAsync(admin, "idle");

        var policy = new IdleOptions();
        var strict = policy with { StopIdleGpuHeld = true };
        static Func<IdleDecision, EnvironmentActivity, bool> KeptBy(string source) =>
            (d, _) => d.State == IdleState.Active && d.Verdict.StartsWith($"kept by: {source}", StringComparison.Ordinal);
        static bool Stops(IdleDecision d) => d.Stop;
        var scenarios = new[]
        {
            new Scenario("truly idle", "stop", false, policy, (d, _) => Stops(d)),
            new Scenario("SSH session open, typing nothing", "kept by ssh", false, policy, KeptBy(ActivitySources.Ssh)),
            new Scenario("kernel busy in a silent cell, browser gone", "kept by jupyter_kernel", false, policy, KeptBy(ActivitySources.Kernel)),
            new Scenario("silent GPU job (97%, a compute process)", "kept by gpu", true, policy, KeptBy(ActivitySources.Gpu)),
            new Scenario("GPU memory held at 0% (a compute process)", "kept by gpu; idle GPU held", true, policy,
                (d, a) => KeptBy(ActivitySources.Gpu)(d, a) && a.IdleGpuHeldSince is not null),
            new Scenario("the same, Idle:StopIdleGpuHeld=true", "stop; idle GPU held", true, strict, (d, a) => Stops(d) && a.IdleGpuHeldSince is not null),
            new Scenario("GPU idle (0%, no process, no memory)", "stop", true, policy, (d, _) => Stops(d)),
        };
        // One workspace per scenario, but the two policies read the same one.
        Console.WriteLine("Creating 6 workspaces...");
        var workspaces = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => platform.WorkspaceAsync(owner)));
        var of = new[] { 0, 1, 2, 3, 4, 4, 5 };

        using var docker = new DockerClientBuilder().Build();
        var runtime = new DockerWorkspaceRuntime(docker, MsOptions.Create(new DockerRuntimeOptions()), TimeProvider.System, NullLogger<DockerWorkspaceRuntime>.Instance);
        using var http = new WorkspaceHttp();
        var healthOptions = MsOptions.Create(new HealthOptions { NvidiaSmi = Fake });
        var health = new HealthProbes(runtime, new SshProbe(MsOptions.Create(new DockerRuntimeOptions()), TimeProvider.System), platform.Secrets, http, healthOptions);

        List<GpuEnvironment> environments;
        await using (var db = platform.CreateDbContext())
        {
            var ids = workspaces.Select(w => w.Id).ToList();
            var rows = await db.Environments.AsNoTracking().Include(e => e.Access).Where(e => ids.Contains(e.Id)).ToListAsync();
            environments = [.. ids.Select(id => rows.Single(e => e.Id == id))];
        }

        // The scripts: what each scenario's user left running.
        // The port the row records now: a start that found its port taken (another platform on this engine) moved it.
        using var ssh = new SshClient(new ConnectionInfo("127.0.0.1", environments[1].Access!.SshPort!.Value, "remotegpu", new PasswordAuthenticationMethod("remotegpu", workspaces[1].Password)));
        ssh.Connect();
        Console.WriteLine($"SSH session to {workspaces[1].Id} on port {environments[1].Access!.SshPort} (create answered {workspaces[1].SshPort})");
        using var shell = ssh.CreateShellStream("xterm", 80, 24, 800, 600, 1024);
        await StartSilentCellAsync(environments[2].Access!, platform.Secrets.Unprotect(environments[2].Access!.JupyterTokenProtected!));
        await ScriptGpuAsync(runtime, workspaces[3].Id, "printf '97 40321\\n' > gpus && printf '4242 40000\\n' > apps");
        await ScriptGpuAsync(runtime, workspaces[4].Id, "printf '0 30000\\n' > gpus && printf '4242 30000\\n' > apps");
        await ScriptGpuAsync(runtime, workspaces[5].Id, "printf '0 0\\n' > gpus && rm -f apps");
        await Task.Delay(TimeSpan.FromSeconds(3));

        var right = new int[scenarios.Length];
        var verdicts = new string[scenarios.Length];
        for (var round = 1; round <= Rounds; round++)
        {
            var probes = scenarios.Select(s => new ActivityProbes(runtime, platform.Secrets, platform.Redis, http, MsOptions.Create(s.Policy), healthOptions)).ToArray();
            var activities = scenarios.Select((_, i) => new EnvironmentActivity { EnvironmentId = workspaces[of[i]].Id }).ToArray();
            var start = DateTimeOffset.UtcNow;
            await Task.WhenAll(scenarios.Select((s, i) => ProbeAsync(health, probes[i], WithGpus(environments[of[i]], s.Gpu), activities[i], start)));
            await Task.Delay(Window);
            var now = DateTimeOffset.UtcNow;
            var unread = await Task.WhenAll(scenarios.Select((s, i) => ProbeAsync(health, probes[i], WithGpus(environments[of[i]], s.Gpu), activities[i], now)));
            Console.WriteLine($"round {round}:");
            for (var i = 0; i < scenarios.Length; i++)
            {
                var decision = IdleVerdict.Decide(activities[i], Timeout, start, null, scenarios[i].Policy.Warning, now);
                var ok = scenarios[i].Right(decision, activities[i]) && unread[i].Count == 0;
                right[i] += ok ? 1 : 0;
                var held = activities[i].IdleGpuHeldSince is null ? "" : "; idle GPU held";
                verdicts[i] = $"{(decision.Stop ? "stop" : decision.State.ToString().ToLowerInvariant())}: {decision.Verdict}{held}" +
                    (unread[i].Count > 0 ? $" (unread: {string.Join(", ", unread[i])})" : "");
                Console.WriteLine($"  {scenarios[i].Name,-46} expected {scenarios[i].Expected,-28} {(ok ? "right" : "WRONG")}  {verdicts[i]}");
            }
        }

        Console.WriteLine();
        Console.WriteLine($"| scenario | expected | verdict (round {Rounds}) | right |");
        Console.WriteLine("|---|---|---|---|");
        for (var i = 0; i < scenarios.Length; i++)
        {
            Console.WriteLine($"| {scenarios[i].Name} | {scenarios[i].Expected} | {verdicts[i]} | {right[i]} of {Rounds} |");
        }
        return right.All(r => r == Rounds) ? 0 : 1;
    }

    /// <summary>The environment as the worker reads it, with one GPU where the scenario has one.</summary>
    private static GpuEnvironment WithGpus(GpuEnvironment row, bool gpu)
    {
        row.GpuCount = gpu ? 1 : 0;
        return row;
    }

    /// <summary>A health check's probes, then the idle probes with what they read, as <c>HealthMonitor</c> runs them; returns the sources not read.</summary>
    private static async Task<IReadOnlyList<string>> ProbeAsync(HealthProbes health, ActivityProbes probes, GpuEnvironment environment, EnvironmentActivity activity, DateTimeOffset now)
    {
        var readings = await health.RunAsync(environment, environment.Access!, CancellationToken.None);
        var failed = readings.Results.Where(r => !r.Passed).Select(r => $"{r.Check} check failed: {r.Error}");
        var unread = await probes.ProbeAsync(environment, environment.Access!, readings, activity, now, CancellationToken.None);
        return [.. failed, .. unread];
    }

    private static async Task ScriptGpuAsync(DockerWorkspaceRuntime runtime, string id, string command)
    {
        var result = await runtime.ExecAsync(id, ["sh", "-c", "mkdir -p /tmp/nvidia-smi-fake && cd /tmp/nvidia-smi-fake && " + command], null, CancellationToken.None);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"Scripting the fake failed: {result.StandardError}");
        }
    }

    /// <summary>A kernel started, a cell sleeping an hour sent to it, and its browser gone once the kernel took the cell.</summary>
    private static async Task StartSilentCellAsync(AccessInfo access, string token)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var upstream = new Uri(access.JupyterUpstream!);
        using var http = new HttpClient { BaseAddress = upstream };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", token);
        // "Running" means the SSH banner answered; Jupyter may still be starting (a reset connection, a 5xx).
        while (true)
        {
            try
            {
                using var status = await http.GetAsync(new Uri("/jupyter/api/status", UriKind.Relative), timeout.Token);
                if (status.IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(250, timeout.Token);
        }
        using var started = await http.PostAsJsonAsync("/jupyter/api/kernels", new { }, timeout.Token);
        started.EnsureSuccessStatusCode();
        var kernel = JsonDocument.Parse(await started.Content.ReadAsStringAsync(timeout.Token)).RootElement.GetProperty("id").GetString();
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "token " + token);
        await socket.ConnectAsync(new Uri($"ws://{upstream.Authority}/jupyter/api/kernels/{kernel}/channels"), timeout.Token);
        var msgId = Guid.NewGuid().ToString("N");
        var request = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["header"] = new Dictionary<string, object>
            {
                ["msg_id"] = msgId,
                ["username"] = "bench",
                ["session"] = Guid.NewGuid().ToString("N"),
                ["msg_type"] = "execute_request",
                ["version"] = "5.3",
                ["date"] = DateTimeOffset.UtcNow.ToString("O"),
            },
            ["parent_header"] = new Dictionary<string, object>(),
            ["metadata"] = new Dictionary<string, object>(),
            ["content"] = new Dictionary<string, object>
            {
                ["code"] = "import time\ntime.sleep(3600)",
                ["silent"] = false,
                ["store_history"] = false,
                ["user_expressions"] = new Dictionary<string, object>(),
                ["allow_stdin"] = false,
                ["stop_on_error"] = true,
            },
            ["channel"] = "shell",
            ["buffers"] = Array.Empty<object>(),
        });
        await socket.SendAsync(request, WebSocketMessageType.Text, true, timeout.Token);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer, timeout.Token);
                message.Write(buffer, 0, received.Count);
            }
            while (!received.EndOfMessage);
            var json = JsonDocument.Parse(Encoding.UTF8.GetString(message.ToArray())).RootElement;
            if (json.GetProperty("msg_type").GetString() == "execute_input"
                && json.GetProperty("parent_header").TryGetProperty("msg_id", out var parent) && parent.GetString() == msgId)
            {
                break;
            }
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "gone", timeout.Token);
    }
}
