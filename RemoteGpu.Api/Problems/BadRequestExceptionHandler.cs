using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;

namespace RemoteGpu.Api.Problems;

/// <summary>
/// A body that is not JSON, or JSON of the wrong shape, is a 400 that names the field — not an empty
/// 400 and not a 500. Minimal APIs throw <see cref="BadHttpRequestException"/> for these
/// (RouteHandlerOptions.ThrowOnBadRequest), and the JsonException inside knows the path.
/// </summary>
internal sealed partial class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        var field = badRequest.InnerException switch
        {
            JsonException { Path: { Length: > 1 } path } => path.TrimStart('$', '.'),
            JsonException => "body",
            _ when ParameterName().Match(badRequest.Message) is { Success: true } match => JsonNamingPolicy.SnakeCaseLower.ConvertName(match.Groups["name"].Value),
            _ => "body",
        };
        var message = badRequest.InnerException is JsonException
            ? "The request body is not valid JSON for this endpoint."
            : field == "body" ? badRequest.Message : $"'{field}' has a value that cannot be read.";

        httpContext.Response.StatusCode = badRequest.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
            {
                Status = badRequest.StatusCode,
                Title = "One or more validation errors occurred.",
            },
            Exception = exception,
        });
    }

    // "Failed to bind parameter "DateTimeOffset? from" from "yesterday"." names the query parameter.
    [GeneratedRegex("parameter \"[^\"]*?(?<name>\\w+)\"")]
    private static partial Regex ParameterName();
}
