using System.Reflection;

namespace RemoteGpu.AppHost.Hosting;

/// <summary>
/// Build facts embedded by RemoteGpu.AppHost.csproj: where the AppHost project lives (project paths are
/// relative to it) and which Configuration/TargetFramework the service projects were built for.
/// </summary>
internal static class AppHostMetadata
{
    public static string ProjectDirectory { get; } = Read("RemoteGpu.AppHost.ProjectDirectory");

    public static string Configuration { get; } = Read("RemoteGpu.AppHost.Configuration");

    public static string TargetFramework { get; } = Read("RemoteGpu.AppHost.TargetFramework");

    private static string Read(string key) =>
        typeof(AppHostMetadata).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"The AppHost assembly carries no '{key}' metadata: build it with RemoteGpu.AppHost.csproj.");
}
