namespace RemoteGpu.Worker.Provisioning;

/// <summary>Log event ids of the worker's provisioning (Worker 4000–4099; the runtime has 4100–4199).</summary>
internal static class WorkerEventIds
{
    public const int StatusChanged = 4000;
    public const int CredentialsApplied = 4001;
    public const int JupyterTokenRotated = 4002;
    public const int ConsumerStarted = 4010;
    public const int MessageFailed = 4011;
    public const int MessageDeadLettered = 4012;
    public const int ReconcilerResent = 4020;
    public const int OrphanRemoved = 4021;
    public const int ReconcilerFailed = 4022;
    public const int ConsumerLoopFailed = 4023;
    public const int ConsumerGroupLost = 4024;
    public const int HealthChanged = 4030;
    public const int HealthRepaired = 4031;
    public const int HealthGaveUp = 4032;
    public const int HealthSweep = 4033;
    public const int HealthSweepFailed = 4034;
    public const int HealthRepairFailed = 4035;
    public const int HealthCheckDropped = 4036;
    public const int IdleWarned = 4040;
    public const int IdleStopped = 4041;
}
