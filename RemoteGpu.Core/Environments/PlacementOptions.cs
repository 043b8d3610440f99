using System.ComponentModel.DataAnnotations;

namespace RemoteGpu.Core.Environments;

/// <summary>
/// The Docker host environments are placed on and what it has to give. Section <c>Placement</c>.
/// One host today; several form a pool later (DESIGN.md §6), each with its own inventory.
/// </summary>
public sealed record PlacementOptions : IValidatableObject
{
    public const string SectionName = "Placement";

    [Required]
    [RegularExpression("^[a-z0-9][a-z0-9.-]{0,62}$")]
    public string HostName { get; init; } = "local";

    /// <summary>The GPUs of the host by device id (as <c>nvidia-smi -L</c> or the NVIDIA runtime names them).</summary>
    public IReadOnlyList<string> GpuDevices { get; init; } = [];

    [Range(1, 65535)]
    public int SshPortFirst { get; init; } = 30000;

    [Range(1, 65535)]
    public int SshPortLast { get; init; } = 30999;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SshPortLast < SshPortFirst)
        {
            yield return new ValidationResult("Placement:SshPortLast must not be below Placement:SshPortFirst.", [nameof(SshPortLast)]);
        }
        if (GpuDevices.Distinct(StringComparer.Ordinal).Count() != GpuDevices.Count)
        {
            yield return new ValidationResult("Placement:GpuDevices lists a device twice.", [nameof(GpuDevices)]);
        }
    }
}

/// <summary>What one environment may ask for. Section <c>Limits</c>.</summary>
public sealed record EnvironmentLimits
{
    public const string SectionName = "Limits";

    [Range(0, 64)]
    public int MaxGpuCount { get; init; } = 8;

    [Range(0.1, 1024)]
    public decimal MinCpuCores { get; init; } = 0.25m;

    [Range(0.1, 1024)]
    public decimal MaxCpuCores { get; init; } = 64;

    [Range(64, 16_777_216)]
    public int MinMemoryMb { get; init; } = 256;

    [Range(64, 16_777_216)]
    public int MaxMemoryMb { get; init; } = 524_288;
}
