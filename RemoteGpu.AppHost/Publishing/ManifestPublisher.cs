using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace RemoteGpu.AppHost.Publishing;

/// <summary>
/// Writes the Aspire deployment manifest (schema aspire-8.0) as Aspire 8/9 writes it for these resources:
/// <c>container.v0</c>, <c>value.v0</c>, <c>project.v0</c> and <c>parameter.v0</c> only — azd rejects
/// <c>executable.v0</c>. Paths are relative to the manifest's folder; secrets appear only as generated inputs.
/// </summary>
internal static partial class ManifestPublisher
{
    public const string SchemaUrl = "https://json.schemastore.org/aspire-8.0.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task WriteAsync(DistributedApplicationModel model, string outputPath, ILogger logger, CancellationToken cancellationToken)
    {
        var manifestDirectory = Path.GetDirectoryName(outputPath)!;
        var resources = new JsonObject();
        foreach (var resource in model.Resources)
        {
            resources[resource.Name] = resource switch
            {
                ParameterResource parameter => Parameter(parameter),
                ContainerResource container => Container(container),
                PostgresDatabaseResource database => Value(database),
                ProjectResource project => Project(project, manifestDirectory),
                _ => throw new NotSupportedException($"No manifest form for {resource.GetType().Name}."),
            };
        }

        var manifest = new JsonObject { ["$schema"] = SchemaUrl, ["resources"] = resources };
        Directory.CreateDirectory(manifestDirectory);
        await File.WriteAllTextAsync(outputPath, manifest.ToJsonString(Indented) + "\n", cancellationToken);
        LogWritten(logger, outputPath);
    }

    private static JsonObject Parameter(ParameterResource parameter)
    {
        var input = new JsonObject { ["type"] = "string" };
        if (parameter.Secret)
        {
            input["secret"] = true;
        }
        parameter.Default.WriteToManifest(input);
        return new JsonObject
        {
            ["type"] = "parameter.v0",
            ["value"] = $"{{{parameter.Name}.inputs.value}}",
            ["inputs"] = new JsonObject { ["value"] = input },
        };
    }

    private static JsonObject Container(ContainerResource container)
    {
        var manifest = new JsonObject
        {
            ["type"] = "container.v0",
            ["connectionString"] = container.ConnectionStringExpression.ValueExpression,
            ["image"] = container.Image,
        };
        if (container.Entrypoint is not null)
        {
            manifest["entrypoint"] = container.Entrypoint;
        }
        if (container.Args.Count > 0)
        {
            manifest["args"] = new JsonArray([.. container.Args.Select(argument => JsonValue.Create(argument))]);
        }
        manifest["env"] = Environment(container.ContainerEnvironment.Select(variable => (variable.Key, variable.Value.ValueExpression)));
        manifest["bindings"] = new JsonObject
        {
            [container.PrimaryEndpoint.Name] = new JsonObject
            {
                ["scheme"] = "tcp",
                ["protocol"] = "tcp",
                ["transport"] = "tcp",
                ["targetPort"] = container.PrimaryEndpoint.TargetPort,
            },
        };
        return manifest;
    }

    private static JsonObject Value(PostgresDatabaseResource database) => new()
    {
        ["type"] = "value.v0",
        ["connectionString"] = database.ConnectionStringExpression.ValueExpression,
    };

    private static JsonObject Project(ProjectResource project, string manifestDirectory)
    {
        var http = project.GetEndpoint("http");
        var variables = ProjectResource.OtelDefaults.Select(variable => (variable.Key, variable.Value))
            .Append(("ASPNETCORE_FORWARDEDHEADERS_ENABLED", "true"))
            .Append(("HTTP_PORTS", http.Property(EndpointProperty.TargetPort).ValueExpression))
            .Concat(project.Environment.Select(entry => (entry.Name, entry.Value.ValueExpression)));

        var bindings = new JsonObject();
        foreach (var endpoint in project.Endpoints)
        {
            var binding = new JsonObject { ["scheme"] = endpoint.Scheme, ["protocol"] = "tcp", ["transport"] = "http" };
            if (endpoint.IsExternal)
            {
                binding["external"] = true;
            }
            bindings[endpoint.Name] = binding;
        }

        return new JsonObject
        {
            ["type"] = "project.v0",
            ["path"] = Path.GetRelativePath(manifestDirectory, project.ProjectPath).Replace('\\', '/'),
            ["env"] = Environment(variables),
            ["bindings"] = bindings,
        };
    }

    private static JsonObject Environment(IEnumerable<(string Name, string Value)> variables)
    {
        var environment = new JsonObject();
        foreach (var (name, value) in variables)
        {
            environment[name] = value;
        }
        return environment;
    }

    [LoggerMessage(EventId = AppHostEventIds.ManifestWritten, Level = LogLevel.Information, Message = "Published manifest to: {Path}")]
    private static partial void LogWritten(ILogger logger, string path);
}
