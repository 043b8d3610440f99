using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace RemoteGpu.AppHost.Testing;

/// <summary>
/// While the testing builder runs the AppHost's entry point, this hook (flowing with the async context) gives
/// the builder the test's settings and captures the built application, so Program.cs's <c>Run()</c> returns at once
/// — what Aspire's DistributedApplicationFactory does through the host-building diagnostic events.
/// </summary>
internal sealed class DistributedApplicationTestingHook(string stateDirectory, string environmentName, IConfiguration testConfiguration)
{
    private static readonly AsyncLocal<DistributedApplicationTestingHook?> CurrentHook = new();

    public static DistributedApplicationTestingHook? Current
    {
        get => CurrentHook.Value;
        set => CurrentHook.Value = value;
    }

    public DistributedApplication? Application { get; private set; }

    public void ConfigureSettings(HostApplicationBuilderSettings settings)
    {
        settings.EnvironmentName = environmentName;
        // Lowest precedence: appsettings.json, environment variables, arguments and the test's own configuration win.
        settings.Configuration = new ConfigurationManager();
        settings.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AppHost:StateDirectory"] = stateDirectory,
            ["AppHost:ProxyPort"] = "0",
            ["AppHost:Dashboard:Enabled"] = "false",
            ["AppHost:Dashboard:Port"] = "0",
        });
    }

    public void ConfigureConfiguration(IConfigurationBuilder configuration)
    {
        // A test's output is for its failures: the AppHost says only what went wrong (over appsettings.json; the test may say otherwise).
        configuration.AddInMemoryCollection([new("Logging:LogLevel:Default", "Warning")]);
        configuration.AddConfiguration(testConfiguration);
    }

    public void Capture(DistributedApplication application)
    {
        application.IsCapturedForTesting = true;
        application.TemporaryStateDirectory = stateDirectory;
        Application = application;
    }
}
