using System.Globalization;
using Microsoft.Extensions.Logging;

namespace RemoteGpu.AppHost.Orchestration;

/// <summary>
/// Postgres from the machine's own binaries, in the resource's data folder: initialised once with
/// <c>initdb --auth=scram-sha-256</c>, listening on 127.0.0.1 only with its socket inside the data folder.
/// Postgres refuses to run as root, so a root AppHost runs it as the <c>postgres</c> account, which owns the data folder.
/// </summary>
internal sealed partial class PostgresExecutableRunner(PostgresServerResource postgres, RunnerContext context) : ResourceRunner(postgres, context)
{
    /// <summary>Rewritten before each start with this run's port; included from postgresql.conf.</summary>
    private const string SettingsFile = "remotegpu.conf";

    private static readonly TimeSpan InitdbTimeout = TimeSpan.FromMinutes(3);

    public override string Kind => ResourceKinds.Executable;

    protected override IEnumerable<EndpointSnapshot> Endpoints => [Snapshot(postgres.PrimaryEndpoint)];

    protected override async Task<IRunningInstance> StartInstanceAsync(CancellationToken cancellationToken)
    {
        var binaries = Executables.FindPostgresBinaries();
        var account = Environment.IsPrivilegedProcess
            ? Native.FindAccount("postgres") ?? throw new InvalidOperationException(
                "Postgres refuses to run as root, and this machine has no 'postgres' account to run it as (apt-get install postgresql creates it).")
            : null;
        var data = Context.State.DataFolder(postgres.Name);

        if (!File.Exists(Path.Combine(data, "PG_VERSION")))
        {
            await InitializeAsync(binaries, data, account, cancellationToken);
        }

        await File.WriteAllTextAsync(Path.Combine(data, SettingsFile), string.Create(CultureInfo.InvariantCulture, $"""
            listen_addresses = '{ResourceEndpoint.LoopbackHost}'
            port = {postgres.PrimaryEndpoint.RequireAllocatedPort()}
            unix_socket_directories = '{data}'
            """), cancellationToken);

        var spec = new ProcessSpec(Path.Combine(binaries, "postgres"), ["-D", data], data)
        {
            RunAs = account,
            StopSignal = Native.SigInt, // fast shutdown; SIGTERM would wait for every client to disconnect
        };
        return await Context.Launcher.StartAsync(spec, Log);
    }

    protected override Task CheckHealthAsync(CancellationToken cancellationToken) =>
        Context.Probes.CheckAsync(postgres, cancellationToken);

    private async Task InitializeAsync(string binaries, string data, UnixAccount? account, CancellationToken cancellationToken)
    {
        // initdb wants an empty folder: one left by an interrupted first start holds nothing worth keeping.
        if (Directory.Exists(data))
        {
            Directory.Delete(data, recursive: true);
        }
        Directory.CreateDirectory(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // The password reaches initdb in a file, never on a command line; the file is gone right after.
        var passwordFile = Path.Combine(Context.State.Path, $".{postgres.Name}.pwfile");
        StateDirectory.WriteOwnerOnly(passwordFile, postgres.PasswordParameter.GetValue());
        try
        {
            if (account is not null)
            {
                Native.ChangeOwner(data, account);
                Native.ChangeOwner(passwordFile, account);
            }
            var initdb = new ProcessSpec(
                Path.Combine(binaries, "initdb"),
                ["-D", data, "--username", PostgresServerResource.UserName, "--auth=scram-sha-256", $"--pwfile={passwordFile}", "--encoding=UTF8", "--no-locale", "--no-instructions"],
                Context.State.Path)
            {
                RunAs = account,
            };
            var exitCode = await Context.Launcher.RunToEndAsync(initdb, Log, InitdbTimeout, cancellationToken);
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"initdb exited with code {exitCode}; its output is in the console log of '{postgres.Name}'.");
            }
        }
        finally
        {
            File.Delete(passwordFile);
        }

        await File.AppendAllTextAsync(
            Path.Combine(data, "postgresql.conf"),
            $"\n# Port, listen address and socket folder: rewritten by RemoteGpu.AppHost before each start.\ninclude_if_exists = '{SettingsFile}'\n",
            cancellationToken);
        var logger = Context.LoggerFactory.CreateLogger<PostgresExecutableRunner>();
        LogInitialized(logger, data, binaries);
    }

    [LoggerMessage(EventId = AppHostEventIds.PostgresInitialized, Level = LogLevel.Information, Message = "Initialised a Postgres data folder {Folder} with {Binaries}")]
    private static partial void LogInitialized(ILogger logger, string folder, string binaries);
}
