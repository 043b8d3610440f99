using Newtonsoft.Json.Linq;
using Newtonsoft.Json.Schema;
using RemoteGpu.Tests.Infrastructure;
using YamlDotNet.Serialization;

namespace RemoteGpu.Tests.AppHost;

/// <summary>
/// The shared schemas (shared/schemas beside the repository: /work/shared here, &lt;clone&gt;/../shared in CI),
/// validated with Newtonsoft.Json.Schema — NJsonSchema 11.6.2 cannot: it ignores <c>const</c> and <c>if/then</c>
/// and throws on boolean subschemas, all of which these schemas use.
/// </summary>
internal static class SchemaValidation
{
    public static JSchema AspireManifest { get; } = Load("aspire-manifest-8.0.schema.json");

    public static JSchema AzureYaml { get; } = Load("azure.yaml.schema.json");

    public static IList<string> Validate(JToken document, JSchema schema)
    {
        document.IsValid(schema, out IList<string> errors);
        return errors;
    }

    public static JToken YamlToJson(string yaml)
    {
        var graph = new DeserializerBuilder().Build().Deserialize<object>(yaml);
        return JToken.Parse(new SerializerBuilder().JsonCompatible().Build().Serialize(graph!));
    }

    private static JSchema Load(string fileName) =>
        JSchema.Parse(File.ReadAllText(Path.Combine(FindSchemas(), fileName)), new NoExternalReferences());

    private static string FindSchemas()
    {
        for (var folder = new DirectoryInfo(Repository.Root); folder is not null; folder = folder.Parent)
        {
            var schemas = Path.Combine(folder.FullName, "shared", "schemas");
            if (File.Exists(Path.Combine(schemas, "aspire-manifest-8.0.schema.json")))
            {
                return schemas;
            }
        }
        throw new DirectoryNotFoundException($"No shared/schemas above {Repository.Root}.");
    }

    /// <summary>External references (azure.yaml's AI extension schemas) resolve to the empty schema: never fetched.</summary>
    private sealed class NoExternalReferences : JSchemaResolver
    {
        public override Stream GetSchemaResource(ResolveSchemaContext context, SchemaReference reference) => new MemoryStream("{}"u8.ToArray());
    }
}
