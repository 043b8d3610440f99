namespace RemoteGpu.AppHost.Orchestration;

/// <summary>Finds the machine's own server binaries.</summary>
internal static class Executables
{
    private const string DebianPostgresRoot = "/usr/lib/postgresql";

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);

    /// <summary>
    /// The folder holding <c>initdb</c> and <c>postgres</c>: PATH first (whoever put a version there chose it),
    /// then Debian's <c>/usr/lib/postgresql/&lt;version&gt;/bin</c>, highest version first.
    /// </summary>
    public static string FindPostgresBinaries()
    {
        if (FindOnPath("initdb") is { } initdb && File.Exists(Path.Combine(Path.GetDirectoryName(initdb)!, "postgres")))
        {
            return Path.GetDirectoryName(initdb)!;
        }

        var versions = Directory.Exists(DebianPostgresRoot) ? Directory.GetDirectories(DebianPostgresRoot) : [];
        return versions
            .Select(folder => (Folder: Path.Combine(folder, "bin"), Version: Version.TryParse(NormalizeVersion(Path.GetFileName(folder)), out var v) ? v : null))
            .Where(candidate => candidate.Version is not null
                && File.Exists(Path.Combine(candidate.Folder, "initdb"))
                && File.Exists(Path.Combine(candidate.Folder, "postgres")))
            .OrderByDescending(candidate => candidate.Version)
            .Select(candidate => candidate.Folder)
            .FirstOrDefault()
            ?? throw new InvalidOperationException(
                $"No PostgreSQL server binaries (initdb, postgres) on PATH or in {DebianPostgresRoot}/<version>/bin. " +
                "Install them (apt-get install postgresql), or run a Docker engine that has the postgres image.");
    }

    public static string FindRedisServer() =>
        FindOnPath("redis-server")
        ?? throw new InvalidOperationException(
            "redis-server is not on PATH. Install it (apt-get install redis-server), or run a Docker engine that has the redis image.");

    // Debian names folders "15" or "9.6"; Version needs a minor part.
    private static string NormalizeVersion(string name) => name.Contains('.', StringComparison.Ordinal) ? name : name + ".0";
}
