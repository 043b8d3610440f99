namespace RemoteGpu.Core.Identity;

public static class Roles
{
    public const string Admin = "admin";
    public const string User = "user";

    /// <summary>Read-only access to audit and usage.</summary>
    public const string Auditor = "auditor";

    public static IReadOnlyList<string> All { get; } = [Admin, User, Auditor];
}
