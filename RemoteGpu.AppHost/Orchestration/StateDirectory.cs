using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RemoteGpu.AppHost.Orchestration;

/// <summary>
/// The AppHost's state folder: one data folder per resource, and <c>parameters.json</c> (mode 0600) with the
/// generated values of persisted parameters — the data folders outlive a run, so their passwords must too.
/// The folder itself is 0711: the <c>postgres</c> account must pass through it to reach its data folder.
/// </summary>
internal sealed partial class StateDirectory
{
    private const UnixFileMode TraverseOnly =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly IConfiguration _configuration;
    private readonly ILogger<StateDirectory> _logger;

    public StateDirectory(IOptions<AppHostOptions> options, IConfiguration configuration, ILogger<StateDirectory> logger)
    {
        _configuration = configuration;
        _logger = logger;
        Path = options.Value.ResolveStateDirectory();
    }

    public string Path { get; }

    private string ParametersFile => System.IO.Path.Combine(Path, "parameters.json");

    /// <summary>Creates (if needed) the state folder, 0711.</summary>
    public void Create()
    {
        Directory.CreateDirectory(Path);
        File.SetUnixFileMode(Path, TraverseOnly);
    }

    public string DataFolder(string resourceName) => System.IO.Path.Combine(Path, resourceName);

    /// <summary>Gives every parameter its value: configuration, else the stored value, else its default (stored when persisted).</summary>
    public void ResolveParameters(IEnumerable<ParameterResource> parameters)
    {
        var stored = File.Exists(ParametersFile)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(ParametersFile)) ?? []
            : [];
        var changed = false;
        foreach (var parameter in parameters)
        {
            var configured = _configuration[$"Parameters:{parameter.Name}"];
            if (!string.IsNullOrEmpty(configured))
            {
                parameter.Value = configured;
            }
            else if (parameter.Persist && stored.TryGetValue(parameter.Name, out var kept))
            {
                parameter.Value = kept;
            }
            else
            {
                parameter.Value = parameter.Default.GetDefaultValue();
                parameter.WasGenerated = parameter.Default is GenerateParameterDefault;
                if (parameter.Persist)
                {
                    stored[parameter.Name] = parameter.Value;
                    changed = true;
                }
                if (parameter.WasGenerated && parameter.Persist)
                {
                    LogParameterGenerated(_logger, parameter.Name, ParametersFile);
                }
            }
        }
        if (changed)
        {
            WriteOwnerOnly(ParametersFile, JsonSerializer.Serialize(stored));
        }
    }

    /// <summary>Writes a file only its owner can read, without a moment at wider permissions.</summary>
    public static void WriteOwnerOnly(string path, string contents)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        using (var stream = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = OwnerOnly,
        }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(contents);
        }
        File.Move(temporary, path, overwrite: true);
    }

    [LoggerMessage(EventId = AppHostEventIds.ParameterGenerated, Level = LogLevel.Information, Message = "Generated a value for parameter {Parameter}, kept in {File} for later runs")]
    private static partial void LogParameterGenerated(ILogger logger, string parameter, string file);
}
