using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;
using Aspire.Hosting.Testing;
using RemoteGpu.Tests.Infrastructure;
using RemoteGpu.Core.Identity;

namespace RemoteGpu.Bench;

/// <summary>
/// Time from <c>POST /api/environments</c> to the SSH banner on the returned port, for one create
/// and for 20 at once, beside the same image started with a plain create+start through the Docker
/// API and polled for the same banner, and beside the engine's own floor (20 trivial containers).
/// Targets: p50 ratio ≤ 1.3, p95 ratio ≤ 2.0; a single create SSH-ready in ≤ 1.5 s.
/// </summary>
internal static class ProvisionBenchmark
{
    private const string Image = "remotegpu/workspace-test:latest";
    private const string AdminPassword = "Bench-admin-pass-1";
    private const int SingleRuns = 5;
    private const int Burst = 20;
    private static readonly TimeSpan BannerTimeout = TimeSpan.FromMinutes(3);

    public static async Task<int> RunAsync()
    {
        Console.WriteLine("Starting the topology...");
        var (app, _) = await TestPlatform.StartAsync(await TestPlatform.CreateBuilderAsync(dashboard: false, "--Parameters:admin-password=" + AdminPassword));
        await using var _ = app;
        using var api = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = app.GetEndpoint("api", "http") };
        (await api.PostAsJsonAsync("/api/auth/login", new { user_name = "admin", password = AdminPassword })).EnsureSuccessStatusCode();
        (await api.PostAsJsonAsync("/api/images", new { name = Image, display_name = "bench" })).EnsureSuccessStatusCode();
        using var docker = new DockerClientBuilder().Build();
        var hash = PasswordHasher.Hash("Bench-ssh-pass-1");

        // Warm-up: one of each, not counted.
        await PlatformOnceAsync(api);
        await DockerOnceAsync(docker, hash, Image, trivial: false);

        var platformSingle = new List<double>();
        var dockerSingle = new List<double>();
        for (var i = 0; i < SingleRuns; i++)
        {
            dockerSingle.Add(await DockerOnceAsync(docker, hash, Image, trivial: false));
            platformSingle.Add(await PlatformOnceAsync(api));
        }

        var dockerBurst = await Task.WhenAll(Enumerable.Range(0, Burst).Select(_ => DockerOnceAsync(docker, hash, Image, trivial: false)));
        var floorBurst = await Task.WhenAll(Enumerable.Range(0, Burst).Select(_ => DockerOnceAsync(docker, hash, Image, trivial: true)));
        var platformBurst = await Task.WhenAll(Enumerable.Range(0, Burst).Select(_ => PlatformOnceAsync(api)));

        Console.WriteLine();
        Console.WriteLine($"image {Image}, {Environment.ProcessorCount} cores; seconds from request to SSH banner");
        Row("1 at a time: plain docker create+start", dockerSingle);
        Row("1 at a time: POST /api/environments", platformSingle);
        Ratio("1 at a time: platform / docker", platformSingle, dockerSingle);
        Row($"{Burst} at once: trivial containers started (engine floor)", [.. floorBurst]);
        Row($"{Burst} at once: plain docker create+start", [.. dockerBurst]);
        Row($"{Burst} at once: POST /api/environments", [.. platformBurst]);
        Ratio($"{Burst} at once: platform / docker", [.. platformBurst], [.. dockerBurst]);
        return 0;
    }

    private static async Task<double> PlatformOnceAsync(HttpClient api)
    {
        var watch = Stopwatch.StartNew();
        using var response = await api.PostAsJsonAsync("/api/environments",
            new { name = "bench", image = Image, gpu_count = 0, cpu_cores = 0.5, memory_mb = 256 });
        response.EnsureSuccessStatusCode();
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var port = body.GetProperty("access_info").GetProperty("ssh").GetProperty("port").GetInt32();
        await WaitForBannerAsync(port);
        var elapsed = watch.Elapsed.TotalSeconds;
        (await api.DeleteAsync(new Uri($"/api/environments/{body.GetProperty("environment").GetProperty("id").GetString()}", UriKind.Relative))).EnsureSuccessStatusCode();
        return elapsed;
    }

    private static async Task<double> DockerOnceAsync(DockerClient docker, string hash, string image, bool trivial)
    {
        var watch = Stopwatch.StartNew();
        var parameters = new CreateContainerParameters
        {
            Image = image,
            Env = [$"REMOTEGPU_PASSWORD_HASH={hash}", "REMOTEGPU_JUPYTER_TOKEN=0123456789abcdef0123456789abcdef"],
            Labels = new Dictionary<string, string> { ["remotegpu.bench"] = "true" },
            ExposedPorts = new Dictionary<string, EmptyStruct> { ["22/tcp"] = default },
            HostConfig = new HostConfig
            {
                PortBindings = new Dictionary<string, IList<PortBinding>> { ["22/tcp"] = [new PortBinding { HostIP = "127.0.0.1", HostPort = "" }] },
                NanoCPUs = 500_000_000,
                Memory = 256L * 1024 * 1024,
            },
        };
        if (trivial)
        {
            parameters.Entrypoint = ["sleep", "infinity"];
        }
        var created = await docker.Containers.CreateContainerAsync(parameters);
        try
        {
            await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
            if (!trivial)
            {
                var inspect = await docker.Containers.InspectContainerAsync(created.ID);
                await WaitForBannerAsync(int.Parse(inspect.NetworkSettings!.Ports["22/tcp"][0].HostPort, System.Globalization.CultureInfo.InvariantCulture));
            }
            return watch.Elapsed.TotalSeconds;
        }
        finally
        {
            await docker.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true });
        }
    }

    private static async Task WaitForBannerAsync(int port)
    {
        using var cts = new CancellationTokenSource(BannerTimeout);
        var buffer = new byte[64];
        while (true)
        {
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, port, cts.Token);
                var read = await tcp.GetStream().ReadAsync(buffer, cts.Token);
                if (read > 0 && Encoding.ASCII.GetString(buffer, 0, read).StartsWith("SSH-2.0-", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (SocketException)
            {
                // Not published or not listening yet.
            }
            catch (IOException)
            {
                // Docker's proxy accepted before sshd was up, then closed.
            }
            await Task.Delay(20, cts.Token);
        }
    }

    private static void Row(string label, List<double> seconds) =>
        Console.WriteLine($"  {label,-58} p50 {Percentiles.Of(seconds, 0.5),6:F2}   p95 {Percentiles.Of(seconds, 0.95),6:F2}");

    private static void Ratio(string label, List<double> platform, List<double> docker) =>
        Console.WriteLine($"  {label,-58} p50 {Percentiles.Of(platform, 0.5) / Percentiles.Of(docker, 0.5),6:F2}x  p95 {Percentiles.Of(platform, 0.95) / Percentiles.Of(docker, 0.95),6:F2}x   (targets 1.3x / 2.0x)");

}
