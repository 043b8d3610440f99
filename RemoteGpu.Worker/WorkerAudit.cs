using System.Text.Json;
using RemoteGpu.Core.Audit;
using RemoteGpu.Core.Data;

namespace RemoteGpu.Worker;

/// <summary>
/// Audit events the worker records by itself (health changes, repairs, idle warnings and stops): actor "worker",
/// target the environment, saved with whatever else the caller saves.
/// </summary>
internal static class WorkerAudit
{
    public static void Add(RemoteGpuDbContext db, TimeProvider time, string environmentId, string action, bool success, object details) =>
        db.AuditEvents.Add(new AuditEvent
        {
            OccurredAt = time.GetUtcNow(),
            ActorName = "worker",
            Action = action,
            TargetType = "environment",
            TargetId = environmentId,
            Success = success,
            Details = JsonSerializer.Serialize(details, JsonSerializerOptions.Web),
        });
}
