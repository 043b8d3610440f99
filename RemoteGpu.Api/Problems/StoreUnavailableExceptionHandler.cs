using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using StackExchange.Redis;

namespace RemoteGpu.Api.Problems;

/// <summary>
/// Postgres or Redis is away (restarted, failing over, unreachable): the request is refused with 503 and a
/// <c>Retry-After</c>, not a 500. What it would have written is not written: a create writes its row in one
/// transaction and keeps its one-time secret in Redis before that (see <c>EnvironmentsApi</c>).
/// </summary>
internal sealed partial class StoreUnavailableExceptionHandler(IProblemDetailsService problems, ILogger<StoreUnavailableExceptionHandler> logger) : IExceptionHandler
{
    private const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var store = StoreOf(exception);
        if (store is null)
        {
            return false;
        }
        LogUnavailable(logger, store, exception.GetType().Name);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Temporarily unavailable",
                Detail = $"The platform's {store} cannot be reached; nothing was changed. Try again in a few seconds.",
            },
            Exception = exception,
        });
    }

    /// <summary>"database" or "cache" when the exception (or what it wraps) is a store that could not be reached.</summary>
    internal static string? StoreOf(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case RedisConnectionException or RedisTimeoutException:
                    return "cache";
                case NpgsqlException { IsTransient: true }:
                    return "database";
                case RetryLimitExceededException when e.InnerException is NpgsqlException:
                    return "database";
            }
        }
        return null;
    }

    [LoggerMessage(EventId = RemoteGpu.Core.CoreEventIds.StoreUnavailable, Level = LogLevel.Warning, Message = "Refused a request with 503: the {Store} is unavailable ({Exception})")]
    private static partial void LogUnavailable(ILogger logger, string store, string exception);
}
