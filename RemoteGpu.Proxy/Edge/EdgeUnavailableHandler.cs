using Microsoft.AspNetCore.Diagnostics;

namespace RemoteGpu.Proxy.Edge;

/// <summary>Turns <see cref="EdgeUnavailableException"/> into a 503 page or problem that names what is missing.</summary>
internal sealed class EdgeUnavailableHandler(ILogger<EdgeUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (exception is not EdgeUnavailableException unavailable || httpContext.Response.HasStarted)
        {
            return false;
        }
        ProxyLog.Unavailable(logger, unavailable.InnerException ?? unavailable, unavailable.Message);
        httpContext.Response.Headers.RetryAfter = "5";
        await EdgeResponses.WriteAsync(httpContext, StatusCodes.Status503ServiceUnavailable, "Temporarily unavailable",
            $"The edge cannot serve this request right now: {unavailable.Message}. Try again shortly.");
        return true;
    }
}
