
namespace RemoteGpu.AppHost.Testing;

/// <summary>What a test asks of a started application (Aspire.Hosting.Testing's extension methods).</summary>
public static class DistributedApplicationTestingExtensions
{
    /// <summary>An HttpClient for a project's endpoint (<c>http</c> by default); the caller disposes it.</summary>
    public static HttpClient CreateHttpClient(this DistributedApplication app, string resourceName, string endpointName = "http") =>
        new() { BaseAddress = app.GetEndpoint(resourceName, endpointName) };

    public static Uri GetEndpoint(this DistributedApplication app, string resourceName, string endpointName = "http")
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Model.Find(resourceName) switch
        {
            ProjectResource project => project.GetEndpoint(endpointName).Url,
            ContainerResource container => container.PrimaryEndpoint.Url,
            _ => throw new ArgumentException($"The resource '{resourceName}' has no endpoints.", nameof(resourceName)),
        };
    }

    /// <summary>The connection string a service referencing the resource receives (<c>ConnectionStrings__&lt;name&gt;</c>).</summary>
    public static ValueTask<string?> GetConnectionStringAsync(this DistributedApplication app, string resourceName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(app.Model.Find(resourceName) is IResourceWithConnectionString resource ? resource.GetValue() : null);
    }
}
