using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace RemoteGpu.Core.Environments;

/// <summary>
/// The one form of an environment id (as <see cref="Credentials.CredentialGenerator.NewEnvironmentId"/> makes them):
/// ids go into container names, volume names, label filters and host names, so only the exact form passes.
/// </summary>
public static partial class EnvironmentIds
{
    public static bool IsValid([NotNullWhen(true)] string? environmentId) => environmentId is not null && Pattern().IsMatch(environmentId);

    public static void ThrowIfInvalid(string? environmentId, string parameterName)
    {
        if (!IsValid(environmentId))
        {
            throw new ArgumentException("An environment id is env- and 8 lower-case hex digits.", parameterName);
        }
    }

    [GeneratedRegex("^env-[0-9a-f]{8}$")]
    private static partial Regex Pattern();
}
