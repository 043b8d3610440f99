using RemoteGpu.Core.Environments;

namespace RemoteGpu.Proxy;

/// <summary>Every log event of the edge; ids 5000–5999 (DESIGN.md's range for the Proxy).</summary>
internal static partial class ProxyLog
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Listening on Postgres channel {Channel} for route changes")]
    public static partial void Listening(ILogger logger, string channel);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "The route listener lost Postgres; retrying in {Backoff}")]
    public static partial void ListenFailed(ILogger logger, Exception exception, TimeSpan backoff);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Route table loaded: {Count} environment(s)")]
    public static partial void Loaded(ILogger logger, int count);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Loading routes ({EnvironmentId}) failed; keeping the last good table of {Count} route(s)")]
    public static partial void LoadFailed(ILogger logger, Exception exception, string environmentId, int count);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Debug, Message = "Route {EnvironmentId} updated: {Status} (none: removed)")]
    public static partial void RouteUpdated(ILogger logger, string environmentId, EnvironmentStatus? status);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "Forwarding to {EnvironmentId} ({Service}) failed: {Error}")]
    public static partial void ForwardFailed(ILogger logger, string environmentId, string service, string error);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "User {UserId} reached {EnvironmentId} ({Service}) through the edge")]
    public static partial void AccessRecorded(ILogger logger, Guid userId, string environmentId, string service);
}
