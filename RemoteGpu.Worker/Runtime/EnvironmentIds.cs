using System.Text.RegularExpressions;

namespace RemoteGpu.Worker.Runtime;

/// <summary>Environment ids go into container names, volume names and label filters: only the exact form passes.</summary>
internal static partial class EnvironmentIds
{
    public static bool IsValid(string? environmentId) => environmentId is not null && Pattern().IsMatch(environmentId);

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
