using Docker.DotNet;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using RemoteGpu.Core.Options;

namespace RemoteGpu.Worker.Runtime.Docker;

internal static class DockerRuntimeExtensions
{
    /// <summary>
    /// <see cref="IWorkspaceRuntime"/> on the Docker engine of <see cref="DockerRuntimeOptions"/> (section
    /// <c>Runtime:Docker</c>, validated at start). Register <see cref="DockerHealthCheck"/> beside it.
    /// </summary>
    public static IHostApplicationBuilder AddDockerRuntime(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.Services.AddValidatedOptions<DockerRuntimeOptions>(DockerRuntimeOptions.SectionName);

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton(services => CreateClient(
            services.GetRequiredService<IOptions<DockerRuntimeOptions>>().Value,
            services.GetRequiredService<ILoggerFactory>()));
        builder.Services.TryAddSingleton<IWorkspaceRuntime, DockerWorkspaceRuntime>();
        return builder;
    }

    private static DockerClient CreateClient(DockerRuntimeOptions options, ILoggerFactory loggerFactory)
    {
        var client = new DockerClientBuilder().WithLogger(loggerFactory.CreateLogger("Docker.DotNet"));
        if (options.Endpoint is { } endpoint)
        {
            client = client.WithEndpoint(endpoint);
        }
        return client.Build();
    }
}
