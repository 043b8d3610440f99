using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Reads <c>ConnectionStrings:&lt;name&gt;</c> exactly as Aspire's client integrations do, and fails
/// at start with a message naming the setting when it is missing or malformed — never at the first
/// request, and never echoing the value (it holds a password).
/// </summary>
public static class ConnectionStrings
{
    public static string Require(IConfiguration configuration, string name, string kind, string example, Action<string> validate)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(validate);

        var value = configuration.GetConnectionString(name);
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

        return value;
    }
}
