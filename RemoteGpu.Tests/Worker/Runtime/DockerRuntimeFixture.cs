using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Renci.SshNet;
using RemoteGpu.Core.Credentials;
using RemoteGpu.Core.Identity;
using RemoteGpu.Worker.Runtime;
using RemoteGpu.Worker.Runtime.Docker;

using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Worker.Runtime;

[CollectionDefinition(Name)]
public sealed class DockerRuntimeCollection : ICollectionFixture<DockerRuntimeFixture>
{
    public const string Name = "Docker workspace runtime";
}

/// <summary>
/// The Docker runtime as the Worker registers it (<c>AddDockerRuntime</c>) against this machine's engine, an
/// SSH key pair, and one running workspace that several tests read without changing it for good. Every
/// environment a test creates through <see cref="NewSpec"/> is removed at the end even when the test failed.
/// </summary>
public sealed class DockerRuntimeFixture : IAsyncLifetime
{
    public const string Image = "remotegpu/workspace-test:latest";

    /// <summary>Jupyter takes seconds to start on a 2-core machine that runs other tests too.</summary>
    public static readonly TimeSpan JupyterTimeout = TimeSpan.FromSeconds(90);

    private static readonly TimeSpan SshBannerTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentBag<string> _environments = [];
    private readonly string _keyDirectory = Directory.CreateTempSubdirectory("remotegpu-runtime-tests-").FullName;
    private IHost? _host;

    internal IWorkspaceRuntime Runtime => Services.GetRequiredService<IWorkspaceRuntime>();

    internal DockerClient Docker => Services.GetRequiredService<DockerClient>();

    internal IServiceProvider Services => _host?.Services ?? throw new InvalidOperationException("The fixture is not initialised.");

    /// <summary>An ed25519 key made by ssh-keygen; its public half is authorised in every workspace of <see cref="NewSpec"/>.</summary>
    public string PrivateKeyPath => Path.Combine(_keyDirectory, "id_ed25519");

    public string PublicKey { get; private set; } = "";

    /// <summary>The shared running workspace and the plaintext of the password its spec carries as a hash.</summary>
    internal WorkspaceSpec Shared { get; private set; } = null!;

    /// <summary>This test run's own platform identity: no other platform on the engine sweeps these containers.</summary>
    internal string PlatformId { get; } = "runtime-tests-" + Guid.NewGuid().ToString("N")[..8];

    internal WorkspaceInstance SharedInstance { get; private set; } = null!;

    public string SharedPassword { get; private set; } = "";

    /// <summary>The token Jupyter of <see cref="Shared"/> accepts, handed over as the worker does after a start.</summary>
    public string SharedJupyterToken { get; } = JupyterCredential.NewToken();

    public TimeSpan SharedStartToBanner { get; private set; }

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.AddDockerRuntime();
        _host = builder.Build();
        await _host.StartAsync();
        await RequireEngineAndImageAsync();

        await RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "runtime-tests", "-f", PrivateKeyPath);
        PublicKey = (await File.ReadAllTextAsync(PrivateKeyPath + ".pub")).Trim();

        (Shared, SharedPassword) = NewSpec();
        try
        {
            (SharedInstance, SharedStartToBanner) = await CreateAndStartAsync(Shared);
            await JupyterCredential.HandOverAsync(Runtime, Shared.EnvironmentId, SharedJupyterToken, CancellationToken.None);
        }
        catch
        {
            // xUnit does not dispose a fixture whose initialisation failed.
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            foreach (var environmentId in _environments)
            {
                await Runtime.RemoveAsync(environmentId, CancellationToken.None);
            }
            await _host.StopAsync();
            _host.Dispose();
        }
        Directory.Delete(_keyDirectory, recursive: true);
    }

    /// <summary>A spec with a fresh environment id, a free SSH port, a new password (returned in plaintext) and the test key.</summary>
    internal (WorkspaceSpec Spec, string Password) NewSpec()
    {
        var environmentId = CredentialGenerator.NewEnvironmentId();
        _environments.Add(environmentId);
        var password = CredentialGenerator.NewPassword();
        var spec = new WorkspaceSpec
        {
            EnvironmentId = environmentId,
            PlatformId = PlatformId,
            OwnerId = Guid.NewGuid(),
            OwnerName = "runtime-tests",
            Image = Image,
            CpuCores = 1,
            MemoryMb = 1024,
            SshHostPort = Ports.Free(),
            PasswordHash = PasswordHasher.Hash(password),
            AuthorizedKeys = PublicKey,
        };
        return (spec, password);
    }

    /// <summary>EnsureCreated + Start, then the time until sshd greets on the published port.</summary>
    internal async Task<(WorkspaceInstance Instance, TimeSpan StartToBanner)> CreateAndStartAsync(WorkspaceSpec spec)
    {
        var stopwatch = Stopwatch.StartNew();
        await Runtime.EnsureCreatedAsync(spec, CancellationToken.None);
        var instance = await Runtime.StartAsync(spec.EnvironmentId, CancellationToken.None);
        Assert.Equal(spec.SshHostPort, instance.SshPort);
        await WaitForSshBannerAsync(spec.SshHostPort);
        return (instance, stopwatch.Elapsed);
    }

    /// <summary>
    /// The published port accepts connections as soon as the container starts (docker-proxy), before sshd
    /// listens: only the banner says sshd is there.
    /// </summary>
    public static async Task<string> WaitForSshBannerAsync(int port)
    {
        string? banner = null;
        await Poll.UntilAsync(async () => (banner = await TryReadBannerAsync(port)) is not null, SshBannerTimeout, $"an SSH banner on port {port}");
        return banner!;
    }

    /// <summary>The status of a GET, or null while nothing answers.</summary>
    public static async Task<HttpStatusCode?> StatusAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            return response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // Not listening yet.
            return null;
        }
    }

    public static SshClient ConnectSsh(int port, string user, params AuthenticationMethod[] methods)
    {
        var client = new SshClient(new ConnectionInfo("127.0.0.1", port, user, methods) { Timeout = TimeSpan.FromSeconds(20) });
        try
        {
            client.ConnectRetryingTransport();
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Runs a command over SSH with a password; returns its trimmed output, failing on a non-zero exit.</summary>
    public static string RunOverSsh(int port, string user, string password, string command)
    {
        using var client = ConnectSsh(port, user, new PasswordAuthenticationMethod(user, password));
        using var run = client.RunCommand(command);
        Assert.True(run.ExitStatus == 0, $"'{command}' exited with {run.ExitStatus}: {run.Error}");
        return run.Result.Trim();
    }

    /// <summary>Asserts that the engine holds no container and no volume of the environment.</summary>
    internal async Task AssertNothingLeftAsync(string environmentId)
    {
        var filter = new Dictionary<string, IDictionary<string, bool>>
        {
            ["label"] = new Dictionary<string, bool> { [$"{WorkspaceLabels.EnvironmentId}={environmentId}"] = true },
        };
        Assert.Empty(await Docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter }));
        Assert.Empty((await Docker.Volumes.ListAsync(new VolumesListParameters { Filters = filter })).Volumes ?? []);
        await Assert.ThrowsAsync<DockerContainerNotFoundException>(() => Docker.Containers.InspectContainerAsync(WorkspaceLabels.ContainerName(environmentId)));
        var volume = await Assert.ThrowsAsync<DockerApiException>(() => Docker.Volumes.InspectAsync(WorkspaceLabels.VolumeName(environmentId)));
        Assert.Equal(HttpStatusCode.NotFound, volume.StatusCode);
    }

    private static async Task<string?> TryReadBannerAsync(int port)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            var buffer = new byte[256];
            var read = await client.GetStream().ReadAsync(buffer, timeout.Token);
            var text = Encoding.ASCII.GetString(buffer, 0, read);
            return text.StartsWith("SSH-", StringComparison.Ordinal) ? text.TrimEnd() : null;
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>CI builds the image before the tests; a missing one is a failure, never a silent pass.</summary>
    private async Task RequireEngineAndImageAsync()
    {
        try
        {
            await Docker.System.PingAsync();
        }
        catch (Exception ex) when (ex is HttpRequestException or DockerApiException or IOException or TimeoutException)
        {
            throw new InvalidOperationException($"No Docker engine answers ({ex.Message}). Start one with scripts/prerequisites.sh.", ex);
        }
        try
        {
            await Docker.Images.InspectImageAsync(Image);
        }
        catch (DockerImageNotFoundException ex)
        {
            throw new InvalidOperationException($"The Docker image {Image} is missing. Build it with scripts/build-images.sh workspace-test.", ex);
        }
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} failed: {await error}");
    }
}
