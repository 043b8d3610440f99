namespace RemoteGpu.AppHost;

/// <summary>
/// The images of Postgres and Redis. Officially the integrations' own, named without a registry host (Docker's
/// default registry is implied; no registry host is written into anything we produce). Where no registry is
/// reachable, run mode takes locally built stand-ins instead (images/services-test, built by
/// scripts/build-images.sh), never pulled; they keep the official images' environment contract, so the hosting
/// integrations configure them unchanged.
/// </summary>
internal static class StandInImages
{
    public const string Postgres = "remotegpu/postgres-test:latest";
    public const string Redis = "remotegpu/redis-test:latest";

    public static IResourceBuilder<T> WithStandIn<T>(this IResourceBuilder<T> resource, string standIn, bool enabled)
        where T : ContainerResource
    {
        ArgumentNullException.ThrowIfNull(resource);
        resource.WithImageRegistry(null);
        if (!enabled || !resource.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            return resource;
        }
        return resource.WithImage(standIn).WithImagePullPolicy(ImagePullPolicy.Never);
    }
}
