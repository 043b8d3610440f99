namespace RemoteGpu.AppHost.Hosting;

/// <summary>A PostgreSQL server (Aspire's <c>PostgresServerResource</c>); user <c>postgres</c>, generated password.</summary>
public sealed class PostgresServerResource : ContainerResource
{
    public const string UserName = "postgres";

    private readonly List<PostgresDatabaseResource> _databases = [];

    internal PostgresServerResource(string name, ParameterResource password)
        : base(name, "postgres:17.6", password, targetPort: 5432, dataTarget: "/var/lib/postgresql/data")
    {
    }

    public IReadOnlyList<PostgresDatabaseResource> Databases => _databases;

    public override ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Host={Host};Port={Port};Username={UserName};Password={PasswordParameter}");

    internal override IEnumerable<KeyValuePair<string, ReferenceExpression>> ContainerEnvironment
    {
        get
        {
            yield return new("POSTGRES_HOST_AUTH_METHOD", ReferenceExpression.Literal("scram-sha-256"));
            yield return new("POSTGRES_INITDB_ARGS", ReferenceExpression.Literal("--auth-host=scram-sha-256 --auth-local=scram-sha-256"));
            yield return new("POSTGRES_USER", ReferenceExpression.Literal(UserName));
            yield return new("POSTGRES_PASSWORD", ReferenceExpression.Create($"{PasswordParameter}"));
            if (_databases.Count > 0)
            {
                yield return new("POSTGRES_DB", ReferenceExpression.Literal(_databases[0].DatabaseName));
            }
        }
    }

    internal void Add(PostgresDatabaseResource database) => _databases.Add(database);
}

/// <summary>A database on a <see cref="PostgresServerResource"/>, created once the server is healthy (<c>value.v0</c>).</summary>
public sealed class PostgresDatabaseResource : Resource, IResourceWithConnectionString
{
    internal PostgresDatabaseResource(string name, string databaseName, PostgresServerResource parent)
        : base(name)
    {
        DatabaseName = databaseName;
        Parent = parent;
    }

    public string DatabaseName { get; }

    public PostgresServerResource Parent { get; }

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Parent};Database={DatabaseName}");

    public string ValueExpression => $"{{{Name}.connectionString}}";

    public string GetValue() => ConnectionStringExpression.GetValue();

    internal override IEnumerable<IResource> StartsAfter => base.StartsAfter.Append(Parent);
}

public static class PostgresBuilderExtensions
{
    public static IResourceBuilder<PostgresServerResource> AddPostgres(this DistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var password = builder.AddGeneratedPassword($"{name}-password", special: true);
        return builder.AddResource(new PostgresServerResource(name, password));
    }

    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<PostgresServerResource> builder, string name, string? databaseName = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var database = new PostgresDatabaseResource(name, databaseName ?? name, builder.Resource);
        builder.Resource.Add(database);
        return builder.ApplicationBuilder.AddResource(database);
    }
}
