using Npgsql;
using StackExchange.Redis;

namespace RemoteGpu.Core.Data;

/// <summary>
/// Fails a service at start, naming the setting, when its connection string is missing or malformed. Aspire's
/// client integrations check only that one is there; a malformed one would otherwise surface at the first query
/// or health probe. The value is never echoed: it holds a password.
/// </summary>
public static class ConnectionStringCheck
{
    public static void Postgres(string name, string? value) =>
        Require(name, value, "PostgreSQL", "Host=localhost;Port=5432;Username=postgres;Password=...;Database=remotegpu", static value =>
        {
            var parsed = new NpgsqlConnectionStringBuilder(value);
            if (string.IsNullOrWhiteSpace(parsed.Host))
            {
                throw new ArgumentException("it names no Host.");
            }
            if (string.IsNullOrWhiteSpace(parsed.Database))
            {
                throw new ArgumentException("it names no Database.");
            }
        });

    public static void Redis(string name, string? value) =>
        Require(name, value, "Redis", "localhost:6379,password=...", static value =>
        {
            if (ConfigurationOptions.Parse(value).EndPoints.Count == 0)
            {
                throw new ArgumentException("it names no host:port.");
            }
        });

    private static void Require(string name, string? value, string kind, string example, Action<string> validate)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"The setting 'ConnectionStrings:{name}' (environment variable ConnectionStrings__{name}) is missing. " +
                $"Set it to a {kind} connection string, for example '{example}'.");
        }
        try
        {
            validate(value);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw new InvalidOperationException(
                $"The setting 'ConnectionStrings:{name}' (environment variable ConnectionStrings__{name}) is not a valid {kind} connection string: {ex.Message}",
                ex);
        }
    }
}
