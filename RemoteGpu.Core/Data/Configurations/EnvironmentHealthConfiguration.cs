using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RemoteGpu.Core.Health;

namespace RemoteGpu.Core.Data.Configurations;

internal sealed class EnvironmentHealthConfiguration : IEntityTypeConfiguration<EnvironmentHealth>
{
    /// <summary>The jsonb columns, in the names and enum spellings the Api shows.</summary>
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public void Configure(EntityTypeBuilder<EnvironmentHealth> builder)
    {
        builder.ToTable("environment_health");
        builder.HasKey(h => h.EnvironmentId);
        builder.Property(h => h.Overall).HasConversion<string>().HasMaxLength(16);
        builder.Property(h => h.Version).HasColumnName("xmin").HasColumnType("xid").IsRowVersion();
        JsonColumn(builder.Property(h => h.Checks));
        JsonColumn(builder.Property(h => h.History));
    }

    internal static void JsonColumn<T>(PropertyBuilder<List<T>> property) =>
        property.HasColumnType("jsonb").HasConversion(
            value => JsonSerializer.Serialize(value, Json),
            text => JsonSerializer.Deserialize<List<T>>(text, Json) ?? new List<T>(),
            new ValueComparer<List<T>>(
                (a, b) => JsonSerializer.Serialize(a, Json) == JsonSerializer.Serialize(b, Json),
                value => JsonSerializer.Serialize(value, Json).GetHashCode(StringComparison.Ordinal),
                value => JsonSerializer.Deserialize<List<T>>(JsonSerializer.Serialize(value, Json), Json)!));
}
