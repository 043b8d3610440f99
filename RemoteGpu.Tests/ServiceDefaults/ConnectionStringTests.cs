using System.Diagnostics;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.ServiceDefaults;

/// <summary>
/// A service given a missing or malformed connection string stops at start, names the setting, and
/// never echoes the value (it holds a password) — rather than failing at its first request.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ConnectionStringTests
{
    private const string Secret = "s3cret-never-printed";
    private const string GoodPostgres = "Host=127.0.0.1;Port=1;Username=postgres;Password=" + Secret + ";Database=remotegpu-db";
    private const string GoodRedis = "127.0.0.1:1,password=" + Secret;

    public static TheoryData<string, string?, string?, string> Cases()
    {
        var data = new TheoryData<string, string?, string?, string>();
        foreach (var service in new[] { "RemoteGpu.Api", "RemoteGpu.Proxy", "RemoteGpu.Worker" })
        {
            data.Add(service, null, GoodRedis, "ConnectionStrings:remotegpu-db");
            data.Add(service, "Host=127.0.0.1;Password=" + Secret + ";Frobnicate=yes;Database=x", GoodRedis, "ConnectionStrings:remotegpu-db");
            data.Add(service, "Port=5432;Password=" + Secret + ";Database=x", GoodRedis, "ConnectionStrings:remotegpu-db");
            data.Add(service, GoodPostgres, null, "ConnectionStrings:redis");
            data.Add(service, GoodPostgres, "password=" + Secret + ",frobnicate=yes", "ConnectionStrings:redis");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Service_WithBadConnectionString_ExitsAtStartNamingTheSetting(string service, string? postgres, string? redis, string setting)
    {
        var start = new ProcessStartInfo("dotnet", [Repository.ServiceAssembly(service)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.Combine(Repository.Root, service),
        };
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["services__api__http__0"] = "http://127.0.0.1:1";
        start.Environment.Remove("ConnectionStrings__remotegpu-db");
        start.Environment.Remove("ConnectionStrings__redis");
        if (postgres is not null)
        {
            start.Environment["ConnectionStrings__remotegpu-db"] = postgres;
        }
        if (redis is not null)
        {
            start.Environment["ConnectionStrings__redis"] = redis;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{service} kept running with a bad '{setting}' instead of failing at start.");
        }

        var output = await stdout + await stderr;
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains(setting, output, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, output, StringComparison.Ordinal);
    }
}
