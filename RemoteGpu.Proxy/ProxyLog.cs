using RemoteGpu.Core.Environments;

namespace RemoteGpu.Proxy;

/// <summary>Every log event of the edge; ids 5000–5999 (DESIGN.md's range for the Proxy).</summary>
internal static partial class ProxyLog
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Listening on Postgres channels {Channels} for route and credential changes")]
    public static partial void Listening(ILogger logger, string channels);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "The route listener lost Postgres; retrying in {Backoff}")]
    public static partial void ListenFailed(ILogger logger, Exception exception, TimeSpan backoff);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Route table loaded: {Count} environment(s)")]
    public static partial void Loaded(ILogger logger, int count);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Loading edge state ({Key}) failed; keeping the last good table of {Count} route(s) and the cached credentials")]
    public static partial void LoadFailed(ILogger logger, Exception exception, string key, int count);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Debug, Message = "Route {EnvironmentId} updated: {Status} (none: removed)")]
    public static partial void RouteUpdated(ILogger logger, string environmentId, EnvironmentStatus? status);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "Forwarding to {EnvironmentId} ({Service}) failed: {Error}")]
    public static partial void ForwardFailed(ILogger logger, string environmentId, string service, string error);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "User {UserId} reached {EnvironmentId} ({Service}) through the edge")]
    public static partial void AccessRecorded(ILogger logger, Guid userId, string environmentId, string service);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Warning, Message = "Recording the last use of API token {TokenId} failed")]
    public static partial void TokenTouchFailed(ILogger logger, Exception exception, Guid tokenId);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Warning, Message = "Answered 503: {Reason}")]
    public static partial void Unavailable(ILogger logger, Exception exception, string reason);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Information, Message = "User {UserId} signed in on {EnvironmentId} through the hand-off")]
    public static partial void HandOffSignedIn(ILogger logger, Guid userId, string environmentId);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "A hand-off ticket was refused on {EnvironmentId}: {Reason}")]
    public static partial void HandOffRefused(ILogger logger, string environmentId, string reason);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Debug, Message = "Dropped a workspace's Set-Cookie for {CookieName}: a platform cookie, or one with a Domain")]
    public static partial void CookieDropped(ILogger logger, string cookieName);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Information, Message = "Refused a cross-origin {Method} on {EnvironmentId} from {Origin}")]
    public static partial void CrossOriginRefused(ILogger logger, string method, string environmentId, string origin);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Warning, Message = "Recording the last use of session {SessionId}… failed")]
    public static partial void SessionTouchFailed(ILogger logger, Exception exception, string sessionId);
}
