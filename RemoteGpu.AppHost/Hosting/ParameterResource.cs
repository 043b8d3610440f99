using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace RemoteGpu.AppHost.Hosting;

/// <summary>
/// A value supplied at deployment (Aspire's <c>ParameterResource</c>). In run mode it comes from
/// <c>Parameters:&lt;name&gt;</c>, else from the state folder (persisted parameters), else from its default.
/// A secret's value is never logged, shown on the dashboard or written to the manifest.
/// </summary>
public sealed class ParameterResource : Resource, IValueProvider
{
    internal ParameterResource(string name, ParameterDefault @default, bool secret, bool persist, bool showWhenGenerated)
        : base(name)
    {
        Default = @default;
        Secret = secret;
        Persist = persist;
        ShowWhenGenerated = showWhenGenerated;
    }

    public ParameterDefault Default { get; }

    public bool Secret { get; }

    /// <summary>A generated value is stored in the state folder and reused by later runs (Aspire keeps it in user secrets).</summary>
    public bool Persist { get; }

    /// <summary>Printed once, when generated: the operator needs it (the administrator's password), unlike a database password.</summary>
    internal bool ShowWhenGenerated { get; }

    internal string? Value { get; set; }

    internal bool WasGenerated { get; set; }

    public string ValueExpression => $"{{{Name}.value}}";

    public string GetValue() =>
        Value ?? throw new InvalidOperationException($"The parameter '{Name}' has no value yet: values are resolved when the application starts.");
}

/// <summary>Where a parameter's value comes from when configuration has none.</summary>
public abstract class ParameterDefault
{
    internal abstract string GetDefaultValue();

    /// <summary>Writes <c>inputs.value.default</c> of the manifest, when this default belongs there.</summary>
    internal abstract void WriteToManifest(JsonObject input);
}

/// <summary>A random value (Aspire's <c>GenerateParameterDefault</c>), drawn with a CSPRNG.</summary>
public sealed class GenerateParameterDefault : ParameterDefault
{
    private const string LowerChars = "abcdefghijklmnopqrstuvwxyz";
    private const string UpperChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string NumericChars = "0123456789";

    // Aspire's set: none of them needs quoting in a connection string (no ; = , ' " or space).
    private const string SpecialChars = "-_.{}~()*+!";

    public required int MinLength { get; init; }

    public bool Lower { get; init; } = true;

    public bool Upper { get; init; } = true;

    public bool Numeric { get; init; } = true;

    public bool Special { get; init; } = true;

    public int MinLower { get; init; }

    public int MinUpper { get; init; }

    public int MinNumeric { get; init; }

    public int MinSpecial { get; init; }

    internal override string GetDefaultValue()
    {
        var classes = new (bool Enabled, string Chars, int Min)[]
        {
            (Lower, LowerChars, MinLower),
            (Upper, UpperChars, MinUpper),
            (Numeric, NumericChars, MinNumeric),
            (Special, SpecialChars, MinSpecial),
        };
        var enabled = classes.Where(c => c.Enabled).ToArray();
        if (enabled.Length == 0)
        {
            throw new InvalidOperationException("A generated parameter needs at least one character class.");
        }

        var chars = new List<char>();
        foreach (var (_, set, min) in enabled)
        {
            chars.AddRange(RandomNumberGenerator.GetItems<char>(set, min));
        }
        var all = string.Concat(enabled.Select(c => c.Chars));
        chars.AddRange(RandomNumberGenerator.GetItems<char>(all, Math.Max(0, MinLength - chars.Count)));

        var result = chars.ToArray();
        RandomNumberGenerator.Shuffle(result.AsSpan());
        return new string(result);
    }

    internal override void WriteToManifest(JsonObject input)
    {
        var generate = new JsonObject { ["minLength"] = MinLength };
        AddIfFalse(generate, "lower", Lower);
        AddIfFalse(generate, "upper", Upper);
        AddIfFalse(generate, "numeric", Numeric);
        AddIfFalse(generate, "special", Special);
        AddIfPositive(generate, "minLower", MinLower);
        AddIfPositive(generate, "minUpper", MinUpper);
        AddIfPositive(generate, "minNumeric", MinNumeric);
        AddIfPositive(generate, "minSpecial", MinSpecial);
        input["default"] = new JsonObject { ["generate"] = generate };

        static void AddIfFalse(JsonObject target, string name, bool value)
        {
            if (!value)
            {
                target[name] = false;
            }
        }

        static void AddIfPositive(JsonObject target, string name, int value)
        {
            if (value > 0)
            {
                target[name] = value;
            }
        }
    }
}

/// <summary>A fixed value, overridable through configuration; published as the manifest's default when asked to.</summary>
internal sealed class ConstantParameterDefault(string value, bool publishValueAsDefault) : ParameterDefault
{
    internal override string GetDefaultValue() => value;

    internal override void WriteToManifest(JsonObject input)
    {
        if (publishValueAsDefault)
        {
            input["default"] = new JsonObject { ["value"] = value };
        }
    }
}

public static class ParameterResourceBuilderExtensions
{
    /// <summary>A parameter whose value is <paramref name="value"/> unless <c>Parameters:&lt;name&gt;</c> says otherwise.</summary>
    public static IResourceBuilder<ParameterResource> AddParameter(
        this DistributedApplicationBuilder builder, string name, string value, bool publishValueAsDefault = false, bool secret = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(value);
        return builder.AddResource(new ParameterResource(name, new ConstantParameterDefault(value, publishValueAsDefault), secret, persist: false, showWhenGenerated: false));
    }

    /// <summary>A parameter with a default such as <see cref="GenerateParameterDefault"/>; a generated value is printed once.</summary>
    public static IResourceBuilder<ParameterResource> AddParameter(
        this DistributedApplicationBuilder builder, string name, ParameterDefault value, bool secret = false, bool persist = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(value);
        return builder.AddResource(new ParameterResource(name, value, secret, persist, showWhenGenerated: true));
    }

    /// <summary>The generated password of a container resource (<c>postgres-password</c>), as Aspire creates it.</summary>
    internal static ParameterResource AddGeneratedPassword(this DistributedApplicationBuilder builder, string name, bool special)
    {
        var generate = new GenerateParameterDefault { MinLength = 22, Special = special };
        return builder.AddResource(new ParameterResource(name, generate, secret: true, persist: true, showWhenGenerated: false)).Resource;
    }
}
