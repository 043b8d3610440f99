using System.Globalization;

namespace RemoteGpu.AppHost.Hosting;

/// <summary>
/// A value with two faces: the manifest expression a deployment tool resolves (<c>{postgres.bindings.tcp.port}</c>)
/// and the value the local orchestrator hands to a process (<c>41873</c>).
/// </summary>
public interface IValueProvider
{
    /// <summary>The manifest expression, for example <c>{admin-password.value}</c>.</summary>
    public string ValueExpression { get; }

    /// <summary>The value in run mode; available once the orchestrator has allocated ports and parameters.</summary>
    public string GetValue();
}

/// <summary>
/// A string made of literals and <see cref="IValueProvider"/>s (Aspire's <c>ReferenceExpression</c>):
/// <c>ReferenceExpression.Create($"Host={endpoint.Property(EndpointProperty.Host)};Password={password}")</c>.
/// </summary>
public sealed class ReferenceExpression : IValueProvider
{
    private readonly string _format;
    private readonly IValueProvider[] _values;

    private ReferenceExpression(string format, IValueProvider[] values)
    {
        _format = format;
        _values = values;
    }

    public static ReferenceExpression Create(FormattableString expression)
    {
        ArgumentNullException.ThrowIfNull(expression);

        var values = expression.GetArguments()
            .Select(argument => argument switch
            {
                IValueProvider provider => provider,
                string literal => Literal(literal),
                _ => throw new ArgumentException(
                    $"A reference expression takes value providers and strings only, not {argument?.GetType().Name ?? "null"}.",
                    nameof(expression)),
            })
            .ToArray();
        return new ReferenceExpression(expression.Format, values);
    }

    public static ReferenceExpression Literal(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new ReferenceExpression(value.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal), []);
    }

    public string ValueExpression => Format(value => value.ValueExpression);

    public string GetValue() => Format(value => value.GetValue());

    public override string ToString() => ValueExpression;

    private string Format(Func<IValueProvider, string> select) =>
        string.Format(CultureInfo.InvariantCulture, _format, _values.Select(select).ToArray<object?>());
}
