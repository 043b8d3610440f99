using System.Diagnostics;
using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RemoteGpu.Core.Credentials;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Environments;
using RemoteGpu.Core.Identity;
using StackExchange.Redis;

namespace RemoteGpu.Tests.Infrastructure;

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "Platform";
}

/// <summary>
/// The whole platform — Postgres, Redis, Api, Proxy, Worker — started once through the real AppHost
/// (<see cref="TestPlatform"/>) and shared by the end-to-end tests of the <see cref="PlatformCollection"/>.
/// Tests create their own users and rows under unique names, so they run in any order.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    public const string AdminPassword = "Fixture-admin-pass-1";

    /// <summary>The Api's default; the rate-limit test walks up to it.</summary>
    public const int LoginAttemptsPerMinutePerAddress = 30;

    private readonly string[] _arguments;
    private readonly IReadOnlyDictionary<string, string> _serviceSettings;
    private DistributedApplication? _app;
    private IHost? _secretsHost;
    private string _platformId = "";

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The platform is not started.");
    public TimeSpan StartedIn { get; private set; }
    public Uri ApiAddress { get; private set; } = null!;
    public Uri ProxyAddress { get; private set; } = null!;
    public string DbConnectionString { get; private set; } = null!;
    public string RedisConnectionString { get; private set; } = null!;

    public PlatformFixture()
        : this(environmentDomain: null)
    {
    }

    /// <summary>
    /// A platform of a test's own; <paramref name="environmentDomain"/> sets <c>Platform:EnvironmentDomain</c>,
    /// <paramref name="serviceSettings"/> configuration of the Api and the worker (<c>Idle:DefaultTimeout</c>, say).
    /// </summary>
    internal PlatformFixture(string? environmentDomain, IReadOnlyDictionary<string, string>? serviceSettings = null)
    {
        EnvironmentDomain = environmentDomain ?? "localhost";
        _arguments = environmentDomain is null ? [] : ["--Parameters:environment-domain=" + environmentDomain];
        _serviceSettings = serviceSettings ?? new Dictionary<string, string>();
    }

    /// <summary>Environments are <c>env-&lt;id&gt;.&lt;EnvironmentDomain&gt;</c>.</summary>
    public string EnvironmentDomain { get; }

    public async Task InitializeAsync()
    {
        var builder = await TestPlatform.CreateBuilderAsync(dashboard: false, ["--Parameters:admin-password=" + AdminPassword, .. _arguments]);
        foreach (var service in builder.Resources.OfType<ProjectResource>().Where(p => p.Name is "api" or "worker").ToList())
        {
            var project = builder.CreateResourceBuilder(service);
            foreach (var (name, value) in _serviceSettings)
            {
                project.WithEnvironment(name.Replace(":", "__", StringComparison.Ordinal), value);
            }
        }
        (_app, StartedIn) = await TestPlatform.StartAsync(builder);

        ApiAddress = _app.GetEndpoint("api", "http");
        ProxyAddress = _app.GetEndpoint("proxy", "http");
        DbConnectionString = (await _app.GetConnectionStringAsync(RemoteGpuDbContext.ConnectionName))!;
        RedisConnectionString = (await _app.GetConnectionStringAsync(PlatformStoresExtensions.RedisConnectionName))!;

        // The platform's own key ring (in Redis), to read a protected secret as the edge does.
        var secrets = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        secrets.Services.AddSingleton<IConnectionMultiplexer>(await ConnectionMultiplexer.ConnectAsync(RedisConnectionString));
        secrets.AddPlatformDataProtection();
        _secretsHost = secrets.Build();

        // Read now: at the end a test may have left Postgres stopped, and its workspaces must still go.
        await using var db = CreateDbContext();
        _platformId = await PlatformInstance.GetIdAsync(db, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_app is null)
        {
            return;
        }
        _secretsHost?.Dispose();
        await _app.DisposeAsync();
        await RemoveWorkspacesAsync(_platformId);
        await TestPlatform.RemoveDataVolumesAsync();
    }

    /// <summary>
    /// The safety net under every test's own clean-up: a test that failed half-way must not leave a
    /// workspace container holding a host port (or its volume) for the next run on this engine.
    /// Only this platform's, by its instance label.
    /// </summary>
    private static async Task RemoveWorkspacesAsync(string platformId)
    {
        using var docker = new DockerClientBuilder().Build();
        var filter = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"remotegpu.platform={platformId}"] = true } };
        foreach (var container in await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter }))
        {
            await docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true });
        }
        foreach (var volume in (await docker.Volumes.ListAsync(new VolumesListParameters { Filters = filter })).Volumes ?? [])
        {
            await docker.Volumes.RemoveAsync(volume.Name, force: true);
        }
    }

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 11)];

    internal ApiClient CreateApiClient(string? bearerToken = null) => new(ApiAddress, bearerToken);

    internal async Task<ApiClient> AdminAsync()
    {
        var client = CreateApiClient();
        using var response = await client.LoginAsync("admin", AdminPassword);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return client;
    }

    /// <summary>A new account, created by the admin through the Api, and a client already logged in as it.</summary>
    internal async Task<TestUser> CreateUserAsync(string role = "user")
    {
        var userName = UniqueName(role);
        var password = "Pw-" + CredentialGenerator.NewToken()[..12];
        using (var admin = await AdminAsync())
        {
            using var created = await admin.PostAsync("/api/users", new { user_name = userName, password, role });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var id = Guid.Parse((await ApiClient.ReadAsync(created)).GetProperty("id").GetString()!);
            var client = CreateApiClient();
            using var login = await client.LoginAsync(userName, password);
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            return new TestUser(id, userName, password, client);
        }
    }

    /// <summary>The Jupyter token the edge presents now: what a user could have copied from its traffic.</summary>
    internal async Task<string> JupyterTokenAsync(string environmentId)
    {
        await using var db = CreateDbContext();
        var protectedToken = await db.AccessInfos.Where(a => a.EnvironmentId == environmentId).Select(a => a.JupyterTokenProtected).SingleAsync();
        Assert.NotNull(protectedToken);
        return _secretsHost!.Services.GetRequiredService<EnvironmentSecrets>().Unprotect(protectedToken);
    }

    internal RemoteGpuDbContext CreateDbContext() =>
        new(new DbContextOptionsBuilder<RemoteGpuDbContext>().UseNpgsql(DbConnectionString).Options);

    /// <summary>An environment row owned by <paramref name="ownerId"/>, for tests of what refers to environments.</summary>
    internal async Task<string> CreateEnvironmentRowAsync(Guid ownerId, EnvironmentStatus status = EnvironmentStatus.Running)
    {
        await using var db = CreateDbContext();
        var now = DateTimeOffset.UtcNow;
        var environment = new GpuEnvironment
        {
            Id = CredentialGenerator.NewEnvironmentId(),
            OwnerId = ownerId,
            Name = "fixture",
            Image = "remotegpu/workspace-test:latest",
            CpuCores = 1,
            MemoryMb = 512,
            DesiredState = DesiredState.Running,
            Status = status,
            CreatedAt = now,
            UpdatedAt = now,
            StatusChangedAt = now,
        };
        db.Environments.Add(environment);
        await db.SaveChangesAsync();
        return environment.Id;
    }

    /// <summary>Every line every resource has printed so far.</summary>
    internal async Task<string> AllLogsAsync()
    {
        var lines = new List<string>();
        foreach (var resource in TestPlatform.Resources)
        {
            lines.AddRange(await App.LogAsync(resource));
        }
        return string.Join('\n', lines);
    }

    /// <summary>
    /// A second Api process on the same database and Redis with extra settings (e.g. a stricter policy);
    /// killed when disposed.
    /// </summary>
    internal Task<ExtraService> StartExtraApiAsync(params (string Name, string Value)[] environment) =>
        StartExtraServiceAsync("RemoteGpu.Api", environment);

    /// <summary>A service process that is listening, healthy or not (for tests of its health itself).</summary>
    internal Task<ExtraService> StartListeningServiceAsync(string project, params (string Name, string Value)[] environment) =>
        StartExtraServiceAsync(project, environment, requireHealthy: false);

    /// <summary>A second edge on the same database and Redis, also listening on <paramref name="extraUrl"/> (e.g. HTTPS); killed when disposed.</summary>
    internal Task<ExtraService> StartExtraProxyAsync(string extraUrl, params (string Name, string Value)[] environment) =>
        StartExtraServiceAsync("RemoteGpu.Proxy", environment, extraUrl: extraUrl);

    /// <summary>Another worker in the same consumer group, with its own settings; killed when disposed.</summary>
    internal Task<ExtraService> StartExtraWorkerAsync(params (string Name, string Value)[] environment) =>
        StartExtraServiceAsync("RemoteGpu.Worker", environment);

    /// <summary>How to start one more <paramref name="project"/> process on this platform's database, Redis and Api, listening on <paramref name="urls"/>.</summary>
    internal ProcessStartInfo ServiceStartInfo(string project, string urls)
    {
        var start = new ProcessStartInfo("dotnet", [Repository.ServiceAssembly(project)])
        {
            WorkingDirectory = Path.Combine(Repository.Root, project),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_URLS"] = urls;
        start.Environment["ConnectionStrings__remotegpu-db"] = DbConnectionString;
        start.Environment["ConnectionStrings__redis"] = RedisConnectionString;
        start.Environment["services__api__http__0"] = ApiAddress.ToString();
        return start;
    }

    private async Task<ExtraService> StartExtraServiceAsync(
        string project, (string Name, string Value)[] environment, bool requireHealthy = true, string? extraUrl = null)
    {
        var port = Ports.Free();
        var start = ServiceStartInfo(project, $"http://127.0.0.1:{port}" + (extraUrl is null ? string.Empty : ";" + extraUrl));
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ExtraService(process, new Uri($"http://127.0.0.1:{port}"));

        using var http = new HttpClient { BaseAddress = service.Address };
        await Poll.UntilAsync(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The extra {project} exited with {process.ExitCode}.");
            }
            try
            {
                using var health = await http.GetAsync(new Uri("/health", UriKind.Relative));
                return health.IsSuccessStatusCode || !requireHealthy;
            }
            catch (HttpRequestException)
            {
                return false; // Not listening yet.
            }
        }, TimeSpan.FromMinutes(1), $"answer from the extra {project}");
        return service;
    }

}

internal sealed record TestUser(Guid Id, string UserName, string Password, ApiClient Client);

internal sealed class ExtraService(Process process, Uri address) : IAsyncDisposable
{
    public Uri Address { get; } = address;

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
        await process.WaitForExitAsync();
        process.Dispose();
    }
}
