namespace RemoteGpu.AppHost.Hosting;

/// <summary>A Redis server (Aspire's <c>RedisResource</c>) that requires a generated password.</summary>
public sealed class RedisResource : ContainerResource
{
    internal RedisResource(string name, ParameterResource password)
        : base(name, "redis:7.4", password, targetPort: 6379, dataTarget: "/data")
    {
        // As Aspire does, the password reaches redis-server from the environment, not from the image's arguments;
        // unlike Aspire, through exec: a shell as PID 1 ignores SIGTERM, and every stop would wait for SIGKILL.
        Entrypoint = "/bin/sh";
        Args = ["-c", "exec redis-server --requirepass \"$REDIS_PASSWORD\""];
    }

    public override ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Host}:{Port},password={PasswordParameter}");

    internal override IEnumerable<KeyValuePair<string, ReferenceExpression>> ContainerEnvironment =>
        [new("REDIS_PASSWORD", ReferenceExpression.Create($"{PasswordParameter}"))];
}

public static class RedisBuilderExtensions
{
    public static IResourceBuilder<RedisResource> AddRedis(this DistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // No special characters: a Redis connection string has no quoting for ',' and '='.
        var password = builder.AddGeneratedPassword($"{name}-password", special: false);
        return builder.AddResource(new RedisResource(name, password));
    }
}
