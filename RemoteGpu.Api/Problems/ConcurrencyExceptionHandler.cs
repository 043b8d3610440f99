using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;

namespace RemoteGpu.Api.Problems;

/// <summary>
/// Rows are written under optimistic concurrency (a row version): when another request changed the
/// same row first, the answer is 409 and the client may retry — not a 500.
/// </summary>
internal sealed class ConcurrencyExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not DbUpdateConcurrencyException)
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status409Conflict;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails =
            {
                Status = StatusCodes.Status409Conflict,
                Title = "Changed concurrently",
                Detail = "Another request changed this resource at the same time. Read it again and retry.",
            },
            Exception = exception,
        });
    }
}
