using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Identity;
using RemoteGpu.Tests.Infrastructure;
using StackExchange.Redis;

namespace RemoteGpu.Bench;

/// <summary>
/// The topology as the tests start it, with settings for the Api and the worker, and what the health and idle
/// benchmarks do with it: users, real workspaces of the test image created through the Api, the database, Redis,
/// the platform's key ring (to read a Jupyter token as the edge does), and the processes and containers whose CPU
/// they read. Disposing deletes what it created and leaves no workspace container or volume behind.
/// </summary>
internal sealed class HealthPlatform : IAsyncDisposable
{
    public const string Image = "remotegpu/workspace-test:latest";
    private const string AdminPassword = "Bench-admin-pass-1";
    private static readonly TimeSpan RunningTimeout = TimeSpan.FromMinutes(3);

    private readonly DistributedApplication _app;
    private readonly IHost _secretsHost;

    private HealthPlatform(DistributedApplication app, IHost secretsHost, string dbConnectionString, IConnectionMultiplexer redis, string platformId)
    {
        _app = app;
        _secretsHost = secretsHost;
        DbConnectionString = dbConnectionString;
        Redis = redis;
        PlatformId = platformId;
        ApiAddress = app.GetEndpoint("api", "http");
    }

    public Uri ApiAddress { get; }
    public string DbConnectionString { get; }
    public IConnectionMultiplexer Redis { get; }
    public string PlatformId { get; }
    public EnvironmentSecrets Secrets => _secretsHost.Services.GetRequiredService<EnvironmentSecrets>();

    /// <param name="serviceSettings">Configuration of the Api and the worker (<c>Health:Interval</c>, say).</param>
    public static async Task<HealthPlatform> StartAsync(IReadOnlyDictionary<string, string> serviceSettings)
    {
        var builder = await TestPlatform.CreateBuilderAsync(dashboard: false, "--Parameters:admin-password=" + AdminPassword);
        foreach (var service in builder.Resources.OfType<ProjectResource>().Where(p => p.Name is "api" or "worker").ToList())
        {
            var project = builder.CreateResourceBuilder(service);
            foreach (var (name, value) in serviceSettings)
            {
                project.WithEnvironment(name.Replace(":", "__", StringComparison.Ordinal), value);
            }
        }
        var (app, _) = await TestPlatform.StartAsync(builder);
        var db = (await app.GetConnectionStringAsync(RemoteGpuDbContext.ConnectionName))!;
        var redis = await ConnectionMultiplexer.ConnectAsync((await app.GetConnectionStringAsync(PlatformStoresExtensions.RedisConnectionName))!);
        var secrets = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        secrets.Services.AddSingleton<IConnectionMultiplexer>(redis);
        secrets.AddPlatformDataProtection();
        string platformId;
        await using (var context = CreateDbContext(db))
        {
            platformId = await PlatformInstance.GetIdAsync(context, CancellationToken.None);
        }
        return new HealthPlatform(app, secrets.Build(), db, redis, platformId);
    }

    public RemoteGpuDbContext CreateDbContext() => CreateDbContext(DbConnectionString);

    private static RemoteGpuDbContext CreateDbContext(string connectionString) =>
        new(new DbContextOptionsBuilder<RemoteGpuDbContext>().UseNpgsql(connectionString).Options);

    public HttpClient NewClient() =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), UseProxy = false }) { BaseAddress = ApiAddress };

    public async Task<HttpClient> AdminAsync()
    {
        var admin = NewClient();
        (await admin.PostAsJsonAsync("/api/auth/login", new { user_name = "admin", password = AdminPassword })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/images", new { name = Image, display_name = "bench" })).EnsureSuccessStatusCode();
        return admin;
    }

    /// <summary>A new user created by the admin, and a client logged in as it.</summary>
    public async Task<(Guid Id, HttpClient Client)> UserAsync(HttpClient admin, string prefix)
    {
        var userName = $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
        const string password = "Bench-user-pass-1";
        using var created = await admin.PostAsJsonAsync("/api/users", new { user_name = userName, password, role = "user" });
        created.EnsureSuccessStatusCode();
        var id = Guid.Parse(JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!);
        var client = NewClient();
        (await client.PostAsJsonAsync("/api/auth/login", new { user_name = userName, password })).EnsureSuccessStatusCode();
        return (id, client);
    }

    /// <summary>A workspace of the test image, never stopped for being idle, running (SSH banner seen by the worker).</summary>
    public async Task<Workspace> WorkspaceAsync(HttpClient owner)
    {
        using var response = await owner.PostAsJsonAsync("/api/environments",
            new { name = "bench", image = Image, gpu_count = 0, cpu_cores = 1, memory_mb = 512, idle_timeout_minutes = 0 });
        response.EnsureSuccessStatusCode();
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var id = body.GetProperty("environment").GetProperty("id").GetString()!;
        var ssh = body.GetProperty("access_info").GetProperty("ssh");
        using var timeout = new CancellationTokenSource(RunningTimeout);
        while (true)
        {
            using var state = await owner.GetAsync(new Uri($"/api/environments/{id}", UriKind.Relative), timeout.Token);
            var environment = JsonDocument.Parse(await state.Content.ReadAsStringAsync(timeout.Token)).RootElement;
            var status = environment.GetProperty("status").GetString();
            if (status == "running")
            {
                break;
            }
            if (status == "failed")
            {
                throw new InvalidOperationException($"{id} failed to start: {environment.GetProperty("status_reason")}");
            }
            await Task.Delay(250, timeout.Token);
        }
        return new Workspace(id, ssh.GetProperty("port").GetInt32(), ssh.GetProperty("password").GetString()!, await ContainerIdAsync(id));
    }

    /// <summary>The workspace container of an environment, by the labels the runtime gives it.</summary>
    public static async Task<string> ContainerIdAsync(string environmentId)
    {
        using var docker = new DockerClientBuilder().Build();
        var filter = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { ["remotegpu.env-id=" + environmentId] = true } };
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters { Filters = filter });
        return containers.Single().ID;
    }

    /// <summary>The service process of a project resource and every process below it (found once; they live as long as the run).</summary>
    public int[] ProcessTree(string resource)
    {
        var root = _app.Snapshot(resource).ProcessId();
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                    parents[pid] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // Ended while the table was read.
                }
            }
        }
        var tree = new HashSet<int> { root };
        bool grew;
        do
        {
            grew = false;
            foreach (var (pid, parent) in parents)
            {
                grew |= tree.Contains(parent) && tree.Add(pid);
            }
        }
        while (grew);
        return [.. tree];
    }

    /// <summary>The container of a container resource (Postgres, Redis).</summary>
    public string ResourceContainerId(string resource) => _app.Snapshot(resource).ContainerId();

    public async ValueTask DisposeAsync()
    {
        _secretsHost.Dispose();
        await _app.DisposeAsync();
        await Redis.DisposeAsync();
        using var docker = new DockerClientBuilder().Build();
        var filter = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"remotegpu.platform={PlatformId}"] = true } };
        foreach (var container in await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter }))
        {
            await docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true });
        }
        foreach (var volume in (await docker.Volumes.ListAsync(new VolumesListParameters { Filters = filter })).Volumes ?? [])
        {
            await docker.Volumes.RemoveAsync(volume.Name, force: true);
        }
        await TestPlatform.RemoveDataVolumesAsync();
    }
}

/// <summary>A running workspace: its environment, published SSH port, password and container.</summary>
internal sealed record Workspace(string Id, int SshPort, string Password, string ContainerId);

/// <summary>CPU time of a container from its cgroup (v1, cgroupfs driver: <c>/sys/fs/cgroup/cpuacct/docker/&lt;id&gt;</c>; v2 as a fallback).</summary>
internal static class ContainerCpu
{
    public static TimeSpan Of(string containerId)
    {
        var v1 = $"/sys/fs/cgroup/cpuacct/docker/{containerId}/cpuacct.usage";
        if (File.Exists(v1))
        {
            return TimeSpan.FromTicks(long.Parse(File.ReadAllText(v1).Trim(), CultureInfo.InvariantCulture) / 100);
        }
        var v2 = $"/sys/fs/cgroup/system.slice/docker-{containerId}.scope/cpu.stat";
        var usage = File.ReadLines(v2).First(line => line.StartsWith("usage_usec ", StringComparison.Ordinal));
        return TimeSpan.FromMicroseconds(long.Parse(usage.AsSpan(11), CultureInfo.InvariantCulture));
    }
}
