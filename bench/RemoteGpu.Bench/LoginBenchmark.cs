using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Aspire.Hosting.Testing;
using RemoteGpu.Tests.Infrastructure;
using RemoteGpu.Core.Identity;

namespace RemoteGpu.Bench;

/// <summary>
/// Logins are bcrypt-bound by design (cost 12). This measures, in one run and interleaved, a bare
/// bcrypt verification in-process and a full login through the Api (lockout check in Redis, user
/// lookup, verification, audit insert, cookie), then logins per second with as many concurrent
/// clients as cores against bcrypt verifications per second on as many threads.
/// Target: a login costs at most 10% more than its bcrypt verification.
/// </summary>
internal static class LoginBenchmark
{
    private const string AdminPassword = "Bench-admin-pass-1";
    private const string UserPassword = "Bench-user-pass-1";
    private const int Samples = 30;
    private static readonly TimeSpan ThroughputWindow = TimeSpan.FromSeconds(15);
    private static int _address;

    public static async Task<int> RunAsync()
    {
        Console.WriteLine("Starting the topology (Release build recommended)...");
        var (app, _) = await TestPlatform.StartAsync(await TestPlatform.CreateBuilderAsync(dashboard: false, "--Parameters:admin-password=" + AdminPassword));
        await using var _ = app;
        var api = app.GetEndpoint("api", "http");

        var userName = "bench-" + Guid.NewGuid().ToString("N")[..8];
        using (var admin = Client(api))
        {
            (await LoginAsync(admin, "admin", AdminPassword)).EnsureSuccessStatusCode();
            (await admin.PostAsJsonAsync("/api/users", new { user_name = userName, password = UserPassword, role = "user" })).EnsureSuccessStatusCode();
        }
        var hash = PasswordHasher.Hash(UserPassword);

        // Warm both paths (JIT, connection pools) before measuring.
        for (var i = 0; i < 5; i++)
        {
            PasswordHasher.Verify(UserPassword, hash);
            using var warm = Client(api);
            (await LoginAsync(warm, userName, UserPassword)).EnsureSuccessStatusCode();
        }

        var bcrypt = new List<double>();
        var login = new List<double>();
        for (var i = 0; i < Samples; i++)
        {
            var watch = Stopwatch.StartNew();
            PasswordHasher.Verify(UserPassword, hash);
            bcrypt.Add(watch.Elapsed.TotalMilliseconds);

            using var client = Client(api);
            watch.Restart();
            var response = await LoginAsync(client, userName, UserPassword);
            login.Add(watch.Elapsed.TotalMilliseconds);
            response.EnsureSuccessStatusCode();
        }

        var bcryptMedian = Median(bcrypt);
        var loginMedian = Median(login);
        var overhead = (loginMedian - bcryptMedian) / bcryptMedian;

        var concurrency = Environment.ProcessorCount;
        var verifiesPerSecond = await ThroughputAsync(concurrency, () => Task.Run(() => PasswordHasher.Verify(UserPassword, hash)));
        var loginsPerSecond = await ThroughputAsync(concurrency, async () =>
        {
            using var client = Client(api);
            (await LoginAsync(client, userName, UserPassword)).EnsureSuccessStatusCode();
        });

        Console.WriteLine();
        Console.WriteLine($"bcrypt cost {PasswordHasher.WorkFactor}, {Samples} interleaved samples, {concurrency} cores");
        Console.WriteLine($"  bcrypt verify (in-process)   median {bcryptMedian,8:F1} ms   p90 {Percentiles.Of(bcrypt, 0.9),8:F1} ms");
        Console.WriteLine($"  login through the Api        median {loginMedian,8:F1} ms   p90 {Percentiles.Of(login, 0.9),8:F1} ms");
        Console.WriteLine($"  login / bcrypt               {loginMedian / bcryptMedian,8:F3}   (overhead {overhead:P1}; target <= 10%)");
        Console.WriteLine($"  throughput, {concurrency} concurrent, {ThroughputWindow.TotalSeconds:F0} s each");
        Console.WriteLine($"    bcrypt verifies/s          {verifiesPerSecond,8:F2}");
        Console.WriteLine($"    logins/s                   {loginsPerSecond,8:F2}");
        Console.WriteLine($"    logins/s / verifies/s      {loginsPerSecond / verifiesPerSecond,8:F3}");
        return overhead <= 0.10 ? 0 : 1;
    }

    private static async Task<double> ThroughputAsync(int concurrency, Func<Task> operation)
    {
        var count = 0;
        var watch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (watch.Elapsed < ThroughputWindow)
            {
                await operation();
                Interlocked.Increment(ref count);
            }
        });
        await Task.WhenAll(workers);
        return count / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Each client its own address (X-Forwarded-For, trusted from loopback), so the per-address limit does not cap the benchmark.</summary>
    private static HttpClient Client(Uri api)
    {
        var client = new HttpClient(new HttpClientHandler { UseCookies = true, CookieContainer = new CookieContainer() }) { BaseAddress = api };
        var n = Interlocked.Increment(ref _address);
        client.DefaultRequestHeaders.Add("X-Forwarded-For", $"198.19.{n / 250 % 250}.{n % 250 + 1}");
        return client;
    }

    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string userName, string password) =>
        client.PostAsJsonAsync("/api/auth/login", new { user_name = userName, password });

    private static double Median(List<double> values) => Percentiles.Of(values, 0.5);

}
