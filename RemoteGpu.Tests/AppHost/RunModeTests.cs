using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Docker.DotNet;
using RemoteGpu.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RemoteGpu.Tests.AppHost;

/// <summary><c>dotnet run --project RemoteGpu.AppHost</c>, as a person runs it, stopped the ways a person or a machine stops it.</summary>
[Trait("Category", "E2E")]
public sealed class RunModeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    // Given, so that the test knows every secret the AppHost holds and can look for it in its console.
    private static readonly (string Name, string Value)[] Secrets =
    [
        ("Parameters__admin-password", "Run-mode-admin-pass-1"),
        ("Parameters__postgres-password", "Run-mode-postgres-pass-1"),
        ("Parameters__redis-password", "Run-mode-redis-pass-1"),
    ];

    /// <summary>Ctrl+C (SIGINT to the terminal's foreground process group) or SIGTERM to the run command's process.</summary>
    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task TheRunCommand_ServesTheEdgeAndTheDashboard_AndASignalStopsEverythingItStarted(string signal)
    {
        using var docker = new DockerClientBuilder().Build();
        var before = await Leftovers.BeforeAsync(docker);
        await using var appHost = AppHostProcess.Start(Secrets);
        output.WriteLine($"dotnet run to ready in {(await appHost.WaitForReadyAsync(TestPlatform.StartTimeout)).TotalSeconds:F1} s");

        using (var edge = new HttpClient { BaseAddress = new Uri($"http://localhost:{appHost.EdgePort}") })
        {
            Assert.Equal(HttpStatusCode.OK, (await edge.GetAsync(new Uri("/health", UriKind.Relative))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await edge.GetAsync(new Uri("/api/info", UriKind.Relative))).StatusCode);
            using var login = await edge.PostAsJsonAsync(new Uri("/api/auth/login", UriKind.Relative), new { user_name = "admin", password = Secrets[0].Value });
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        }
        Assert.Contains($"{AppHostProcess.ReadyLine} http://localhost:{appHost.EdgePort}/", appHost.Output, StringComparison.Ordinal);

        // The dashboard is Aspire's and keeps its token login: without the token it sends the browser to sign in.
        var loginUrl = appHost.DashboardLoginUrl;
        Assert.NotNull(loginUrl);
        Assert.Equal(appHost.DashboardPorts[0], loginUrl.Port);
        using (var dashboard = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(loginUrl.GetLeftPart(UriPartial.Authority)) })
        {
            using var anonymous = await dashboard.GetAsync(new Uri("/", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
            Assert.StartsWith("/login", anonymous.Headers.Location!.OriginalString.Replace(loginUrl.GetLeftPart(UriPartial.Authority), "", StringComparison.Ordinal), StringComparison.Ordinal);
            using var signedIn = await dashboard.GetAsync(loginUrl);
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
            Assert.Contains(signedIn.Headers.GetValues("Set-Cookie"), cookie => cookie.StartsWith(".Aspire.Dashboard.Auth", StringComparison.Ordinal));
        }
        var running = before.NewProcesses();
        Assert.Contains(running, process => process.CommandLine.Contains("/tools/dcp", StringComparison.Ordinal));
        Assert.Contains(running, process => process.CommandLine.Contains("Aspire.Dashboard", StringComparison.Ordinal));
        Assert.Equal(2, (await before.NewContainersAsync(docker)).Count);

        var clock = Stopwatch.StartNew();
        await (signal == "INT" ? appHost.InterruptAsync() : AppHostProcess.SignalAsync(appHost.Pid, signal));
        Assert.True(await appHost.WaitForExitAsync(StopTimeout), $"still running {StopTimeout.TotalSeconds} s after SIG{signal}:\n{appHost.Output}");
        var exited = clock.Elapsed;
        Assert.Equal(0, appHost.ExitCode);
        // The services were stopped first, gracefully, while Postgres, Redis and the dashboard were still up.
        Assert.Contains("Stopped the 3 services in", appHost.Output, StringComparison.Ordinal);

        // The AppHost returns at once; DCP, which watches it, stops the services and containers it started.
        Assert.Empty(await before.WaitUntilGoneAsync(docker, StopTimeout));
        output.WriteLine($"SIG{signal}: the run command exited in {exited.TotalSeconds:F1} s, nothing of ours was left after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Empty(await Leftovers.ListeningPortsAsync([appHost.EdgePort, .. appHost.DashboardPorts]));
        Assert.All(Secrets, secret => Assert.DoesNotContain(secret.Value, appHost.Output, StringComparison.Ordinal));
        await TestPlatform.RemoveDataVolumesAsync();
    }

    [Fact]
    public async Task KillingTheAppHostHard_LeavesNoProcessOrContainerOfOurs_Within30Seconds()
    {
        using var docker = new DockerClientBuilder().Build();
        var before = await Leftovers.BeforeAsync(docker);
        await using var appHost = AppHostProcess.Start(Secrets);
        await appHost.WaitForReadyAsync(TestPlatform.StartTimeout);
        Assert.Equal(2, (await before.NewContainersAsync(docker)).Count);

        var clock = Stopwatch.StartNew();
        await AppHostProcess.SignalAsync(appHost.AppHostPid(), "KILL"); // no chance to stop anything itself

        // DCP watches the AppHost's process and, once it is gone, stops everything it started.
        Assert.Empty(await before.WaitUntilGoneAsync(docker, TimeSpan.FromSeconds(30)));
        output.WriteLine($"SIGKILL: nothing of ours was left after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Empty(await Leftovers.ListeningPortsAsync([appHost.EdgePort, .. appHost.DashboardPorts]));
        await TestPlatform.RemoveDataVolumesAsync();
    }

}
