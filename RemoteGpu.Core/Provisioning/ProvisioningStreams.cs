namespace RemoteGpu.Core.Provisioning;

/// <summary>
/// The Redis streams between the Api and the workers (DESIGN.md §5). A message is only a hint that
/// a row needs attention: the handler reads the row and converges the container to its desired
/// state, so a repeated, late or lost message never does harm (the reconciler re-sends lost ones).
/// </summary>
public static class ProvisioningStreams
{
    public const string Provision = "remotegpu:provision";
    public const string Health = "remotegpu:health";
    public const string DeadLetterSuffix = ":dead";
    public const string ConsumerGroup = "workers";

    /// <summary>Published after every hint so idle workers read at once instead of at their next poll.</summary>
    public const string WakeChannel = "remotegpu:provision:wake";

    /// <summary>Published after every health sweep, for the same reason.</summary>
    public const string HealthWakeChannel = "remotegpu:health:wake";

    /// <summary>Field names of a stream entry.</summary>
    public const string EnvironmentIdField = "env";
    public const string ReasonField = "reason";
}

/// <summary>Why a hint was sent; informational (the handler always converges to the row).</summary>
public static class ProvisioningReasons
{
    public const string Create = "create";
    public const string Start = "start";
    public const string Stop = "stop";
    public const string Delete = "delete";
    public const string Credentials = "credentials";
    public const string Reconcile = "reconcile";

    /// <summary>The health checks found the container gone or failing and ask for it again (self-healing).</summary>
    public const string Repair = "repair";

    /// <summary>Nothing worked in the environment for its idle timeout: the worker stopped it.</summary>
    public const string IdleStop = "idle_stop";
}
