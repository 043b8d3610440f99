using System.Reflection;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace RemoteGpu.AppHost.Testing;

/// <summary>
/// Starts the AppHost's own topology (its Program.cs) from a test, as Aspire.Hosting.Testing does:
/// <code>
/// var builder = await DistributedApplicationTestingBuilder.CreateAsync(["--AppHost:Postgres:Image=…"]);
/// builder.Configuration["Parameters:admin-password"] = "…";
/// await using var app = await builder.BuildAsync();
/// await app.StartAsync();
/// await app.ResourceNotifications.WaitForResourceHealthyAsync("api", cancellationToken);
/// using var http = app.CreateHttpClient("proxy");
/// </code>
/// Every port is a free one, the dashboard is off, the environment is Development (see <see cref="EnvironmentName"/>), and the state folder is a fresh
/// temporary one, deleted when the application is disposed — after everything it started has stopped.
/// </summary>
public sealed class DistributedApplicationTestingBuilder
{
    private readonly string[] _args;

    private DistributedApplicationTestingBuilder(string[] args)
    {
        _args = args;
    }

    /// <summary>Configuration of highest precedence, applied to the AppHost's builder.</summary>
    public ConfigurationManager Configuration { get; } = new();

    /// <summary>The environment the AppHost and every service it starts run in: Development unless a benchmark wants Production.</summary>
    public string EnvironmentName { get; set; } = Environments.Development;

    public static Task<DistributedApplicationTestingBuilder> CreateAsync(CancellationToken cancellationToken = default) =>
        CreateAsync([], cancellationToken);

    public static Task<DistributedApplicationTestingBuilder> CreateAsync(string[] args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(new DistributedApplicationTestingBuilder(args));
    }

    /// <summary>Runs the AppHost's entry point up to <c>Build()</c> and returns the application, not started.</summary>
    public async Task<DistributedApplication> BuildAsync(CancellationToken cancellationToken = default)
    {
        var entryPoint = typeof(DistributedApplication).Assembly.EntryPoint
            ?? throw new InvalidOperationException("The AppHost assembly has no entry point.");
        var stateDirectory = Directory.CreateTempSubdirectory("remotegpu-apphost-").FullName;
        var hook = new DistributedApplicationTestingHook(stateDirectory, EnvironmentName, Configuration);

        try
        {
            DistributedApplicationTestingHook.Current = hook;
            await Task.Run(() => InvokeAsync(entryPoint, _args), cancellationToken);
        }
        catch
        {
            Directory.Delete(stateDirectory, recursive: true);
            throw;
        }
        finally
        {
            DistributedApplicationTestingHook.Current = null;
        }

        return hook.Application ?? throw new InvalidOperationException("The AppHost's entry point returned without building a DistributedApplication.");
    }

    private static async Task InvokeAsync(MethodInfo entryPoint, string[] args)
    {
        try
        {
            var result = entryPoint.Invoke(null, entryPoint.GetParameters().Length == 0 ? [] : [args]);
            if (result is Task task)
            {
                await task;
            }
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
        }
    }
}
