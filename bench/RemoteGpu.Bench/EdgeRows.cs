using Npgsql;
using NpgsqlTypes;
using RemoteGpu.Core.Credentials;
using RemoteGpu.Core.Environments;

namespace RemoteGpu.Bench;

/// <summary>
/// Environment rows as the worker leaves a running one — status and desired state Running, credentials
/// applied (so the reconciler leaves them alone), the Jupyter upstream and a Jupyter token protected with the
/// platform's key ring in access_info — written straight to Postgres, with no container behind them: the
/// upstream is the benchmark's own. The edge learns of them through the EdgeNotifications trigger.
/// </summary>
internal sealed class EdgeRows(NpgsqlDataSource dataSource, EnvironmentSecrets secrets, Guid ownerId, string jupyterUpstream)
{
    private const string Name = "bench-edge";
    private const string Image = "remotegpu/workspace-test:latest";
    private const string Running = nameof(EnvironmentStatus.Running);
    private const string SshHost = "127.0.0.1";
    private const string SshUser = "bench";

    /// <summary>Not a bcrypt hash: no password opens these environments (nothing listens for SSH).</summary>
    private const string NoPassword = "!bench";

    private const string EnvironmentColumns =
        "id, owner_id, name, image, gpu_count, cpu_cores, memory_mb, desired_state, status, created_at, updated_at, status_changed_at";

    private const string AccessColumns =
        "environment_id, ssh_host, ssh_username, ssh_password_hash, jupyter_upstream, jupyter_token_protected, " +
        "credentials_version, applied_credentials_version, created_at, updated_at";

    // One statement, so one implicit transaction: committed when the call returns.
    private const string InsertOne = $"""
        WITH e AS (
            INSERT INTO environments ({EnvironmentColumns})
            VALUES ($1, $2, '{Name}', '{Image}', 0, 1, 512, '{Running}', '{Running}', $3, $3, $3)
            RETURNING id)
        INSERT INTO access_info ({AccessColumns})
        SELECT id, '{SshHost}', '{SshUser}', '{NoPassword}', $4, $5, 1, 1, $3, $3 FROM e
        """;

    /// <summary>One running environment, committed when this returns.</summary>
    public async Task InsertAsync(string environmentId, CancellationToken cancellationToken = default)
    {
        var protectedToken = secrets.Protect(CredentialGenerator.NewToken());
        await using var command = dataSource.CreateCommand(InsertOne);
        command.Parameters.Add(new NpgsqlParameter { Value = environmentId });
        command.Parameters.Add(new NpgsqlParameter { Value = ownerId });
        command.Parameters.Add(new NpgsqlParameter { Value = DateTimeOffset.UtcNow });
        command.Parameters.Add(new NpgsqlParameter { Value = jupyterUpstream });
        command.Parameters.Add(new NpgsqlParameter { Value = protectedToken });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Many running environments in one transaction, with COPY: one notification per environment at commit.</summary>
    public async Task CopyAsync(IReadOnlyList<string> environmentIds, CancellationToken cancellationToken = default)
    {
        var now = DateTimeOffset.UtcNow;
        var tokens = environmentIds.Select(_ => secrets.Protect(CredentialGenerator.NewToken())).ToList();

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var environments = await connection.BeginBinaryImportAsync(
            $"COPY environments ({EnvironmentColumns}) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var id in environmentIds)
            {
                await environments.StartRowAsync(cancellationToken);
                await environments.WriteAsync(id, NpgsqlDbType.Varchar, cancellationToken);
                await environments.WriteAsync(ownerId, NpgsqlDbType.Uuid, cancellationToken);
                await environments.WriteAsync(Name, NpgsqlDbType.Varchar, cancellationToken);
                await environments.WriteAsync(Image, NpgsqlDbType.Varchar, cancellationToken);
                await environments.WriteAsync(0, NpgsqlDbType.Integer, cancellationToken);
                await environments.WriteAsync(1m, NpgsqlDbType.Numeric, cancellationToken);
                await environments.WriteAsync(512, NpgsqlDbType.Integer, cancellationToken);
                await environments.WriteAsync(Running, NpgsqlDbType.Varchar, cancellationToken);
                await environments.WriteAsync(Running, NpgsqlDbType.Varchar, cancellationToken);
                for (var i = 0; i < 3; i++)
                {
                    await environments.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
                }
            }
            await environments.CompleteAsync(cancellationToken);
        }
        await using (var access = await connection.BeginBinaryImportAsync(
            $"COPY access_info ({AccessColumns}) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            for (var row = 0; row < environmentIds.Count; row++)
            {
                await access.StartRowAsync(cancellationToken);
                await access.WriteAsync(environmentIds[row], NpgsqlDbType.Varchar, cancellationToken);
                await access.WriteAsync(SshHost, NpgsqlDbType.Varchar, cancellationToken);
                await access.WriteAsync(SshUser, NpgsqlDbType.Varchar, cancellationToken);
                await access.WriteAsync(NoPassword, NpgsqlDbType.Varchar, cancellationToken);
                await access.WriteAsync(jupyterUpstream, NpgsqlDbType.Varchar, cancellationToken);
                await access.WriteAsync(tokens[row], NpgsqlDbType.Text, cancellationToken);
                await access.WriteAsync(1, NpgsqlDbType.Integer, cancellationToken);
                await access.WriteAsync(1, NpgsqlDbType.Integer, cancellationToken);
                await access.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
                await access.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
            }
            await access.CompleteAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Environments gone for good, in one statement (their access rows cascade): one notification per row at commit.</summary>
    public async Task DeleteAsync(IReadOnlyList<string> environmentIds, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM environments WHERE id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = environmentIds.ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>Environment ids never handed out twice in one run (8 hex digits: 10,000 of them collide now and then).</summary>
internal sealed class EnvironmentIds
{
    private readonly HashSet<string> _used = [];

    public string Next()
    {
        string id;
        do
        {
            id = CredentialGenerator.NewEnvironmentId();
        }
        while (!_used.Add(id));
        return id;
    }

    public List<string> Take(int count) => [.. Enumerable.Range(0, count).Select(_ => Next())];
}
