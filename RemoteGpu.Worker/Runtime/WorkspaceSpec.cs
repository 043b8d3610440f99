using System.Text;
using System.Text.RegularExpressions;
using RemoteGpu.Core.Environments;

namespace RemoteGpu.Worker.Runtime;

/// <summary>
/// What a workspace container is made from. Secrets arrive in the form the image's entrypoint expects
/// (images/workspace/entrypoint.sh): the password only as its bcrypt hash, never in plaintext.
/// </summary>
internal sealed partial record WorkspaceSpec
{
    public const string DefaultUserName = "remotegpu";

    /// <summary><c>env-</c> + 8 lowercase hex digits.</summary>
    public required string EnvironmentId { get; init; }

    /// <summary>The platform installation the container belongs to (<see cref="WorkspaceLabels.Platform"/>).</summary>
    public required string PlatformId { get; init; }

    public required Guid OwnerId { get; init; }

    public required string OwnerName { get; init; }

    public required string Image { get; init; }

    public required decimal CpuCores { get; init; }

    /// <summary>Memory limit; swap is not granted on top of it.</summary>
    public required int MemoryMb { get; init; }

    /// <summary>GPUs from the allocator, by device id (index or UUID); empty for a CPU-only workspace.</summary>
    public IReadOnlyList<string> GpuDeviceIds { get; init; } = [];

    /// <summary>Host port for SSH, chosen by the caller from the configured pool.</summary>
    public required int SshHostPort { get; init; }

    /// <summary>bcrypt (<c>$2b$12$…</c>), applied with <c>chpasswd -e</c> on the container's first start.</summary>
    public required string PasswordHash { get; init; }

    /// <summary>OpenSSH public keys, one per line; may be empty.</summary>
    public string AuthorizedKeys { get; init; } = "";

    /// <summary>
    /// The one origin Jupyter accepts requests from (its <c>allow_origin</c>): the environment's own host through the
    /// edge, e.g. <c>https://env-0123abcd.gpu.example.com</c>. Null: the image's default.
    /// </summary>
    public string? JupyterAllowOrigin { get; init; }

    /// <summary>code-server runs only when the image has it and this is set.</summary>
    public string? CodeServerPassword { get; init; }

    public string UserName { get; init; } = DefaultUserName;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first property that the entrypoint would reject.</summary>
    public void Validate()
    {
        EnvironmentIds.ThrowIfInvalid(EnvironmentId, nameof(EnvironmentId));
        ArgumentException.ThrowIfNullOrWhiteSpace(PlatformId, nameof(PlatformId));
        ArgumentException.ThrowIfNullOrWhiteSpace(OwnerName, nameof(OwnerName));
        ArgumentException.ThrowIfNullOrWhiteSpace(Image, nameof(Image));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(CpuCores, nameof(CpuCores));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MemoryMb, nameof(MemoryMb));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SshHostPort, nameof(SshHostPort));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SshHostPort, 65535, nameof(SshHostPort));
        ArgumentNullException.ThrowIfNull(GpuDeviceIds, nameof(GpuDeviceIds));
        ArgumentNullException.ThrowIfNull(AuthorizedKeys, nameof(AuthorizedKeys));
        if (GpuDeviceIds.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("A GPU device id is empty.", nameof(GpuDeviceIds));
        }
        // Also guards against a plaintext password reaching the container by mistake.
        if (!BcryptHash().IsMatch(PasswordHash ?? ""))
        {
            throw new ArgumentException("The password must be given as a bcrypt hash ($2b$12$…).", nameof(PasswordHash));
        }
        if (!UserNamePattern().IsMatch(UserName ?? "") || UserName == "root")
        {
            throw new ArgumentException("The user name must be a lower-case Unix user name other than root.", nameof(UserName));
        }
    }

    // Records print every property; this one holds a password hash, a token and a password.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"EnvironmentId = {EnvironmentId}, OwnerId = {OwnerId}, Image = {Image}, CpuCores = {CpuCores}, ");
        builder.Append($"MemoryMb = {MemoryMb}, GpuDeviceIds = [{string.Join(", ", GpuDeviceIds)}], SshHostPort = {SshHostPort}, UserName = {UserName}");
        return true;
    }

    [GeneratedRegex(@"^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$")]
    private static partial Regex BcryptHash();

    // The entrypoint's rule for REMOTEGPU_USER.
    [GeneratedRegex("^[a-z_][a-z0-9_-]{0,31}$")]
    private static partial Regex UserNamePattern();
}
