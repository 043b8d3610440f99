using Microsoft.EntityFrameworkCore;
using RemoteGpu.Core.Audit;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Identity;

namespace RemoteGpu.Api.Apis;

/// <summary>The audit log, for admins and auditors: filters and keyset paging, newest first.</summary>
internal static class AuditApi
{
    public const int DefaultLimit = 100;
    public const int MaximumLimit = 500;

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/audit").WithTags("Audit")
            .RequireAuthorization(PlatformAuthentication.AuditReaders)
            .MapGet("/", Query)
            .WithName("QueryAudit")
            .WithSummary("Events matching every filter given; pass the response's next_after as after= for the next page.");
        return app;
    }

    public static async Task<Results<Ok<AuditPage>, ValidationProblem>> Query(
        [AsParameters] AuditQuery query, RemoteGpuDbContext db, CancellationToken cancellationToken)
    {
        var errors = query.Validate();
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var events = db.AuditEvents.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(query.User))
        {
            var user = query.User.Trim().ToLowerInvariant();
            events = Guid.TryParse(user, out var userId)
                ? events.Where(e => e.ActorId == userId)
                : events.Where(e => e.ActorName == user);
        }
        if (!string.IsNullOrWhiteSpace(query.Action))
        {
            // "auth.*" selects a whole area; anything else is an exact action.
            events = query.Action.EndsWith(".*", StringComparison.Ordinal)
                ? events.Where(e => e.Action.StartsWith(query.Action.Substring(0, query.Action.Length - 1)))
                : events.Where(e => e.Action == query.Action);
        }
        if (!string.IsNullOrWhiteSpace(query.Target))
        {
            events = events.Where(e => e.TargetId == query.Target);
        }
        if (query.From is { } from)
        {
            events = events.Where(e => e.OccurredAt >= from);
        }
        if (query.To is { } to)
        {
            events = events.Where(e => e.OccurredAt < to);
        }
        if (query.After is { } after)
        {
            events = events.Where(e => e.Id < after);
        }

        var limit = query.Limit ?? DefaultLimit;
        var page = await events.OrderByDescending(e => e.Id).Take(limit + 1).ToListAsync(cancellationToken);
        var items = page.Take(limit).Select(AuditEventResponse.From).ToList();
        return TypedResults.Ok(new AuditPage(items, page.Count > limit ? items[^1].Id : null));
    }
}

internal sealed record AuditQuery(string? User, string? Action, string? Target, DateTimeOffset? From, DateTimeOffset? To, long? After, int? Limit)
{
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (User?.Length > 64)
        {
            errors["user"] = ["'user' must be a user name or id of at most 64 characters."];
        }
        if (Action?.Length > 64)
        {
            errors["action"] = ["'action' must be at most 64 characters."];
        }
        if (Target?.Length > 64)
        {
            errors["target"] = ["'target' must be at most 64 characters."];
        }
        if (From > To)
        {
            errors["from"] = ["'from' must not be after 'to'."];
        }
        if (After <= 0)
        {
            errors["after"] = ["'after' must be the next_after of a previous page."];
        }
        if (Limit is < 1 or > AuditApi.MaximumLimit)
        {
            errors["limit"] = [$"'limit' must be between 1 and {AuditApi.MaximumLimit}."];
        }
        return errors;
    }
}

internal sealed record AuditPage(IReadOnlyList<AuditEventResponse> Items, long? NextAfter);

internal sealed record AuditEventResponse(
    long Id, DateTimeOffset OccurredAt, Guid? ActorId, string? ActorName, string Action, string? TargetType, string? TargetId,
    string? Address, string? UserAgent, bool Success, System.Text.Json.JsonElement? Details)
{
    public static AuditEventResponse From(AuditEvent e) =>
        new(e.Id, e.OccurredAt, e.ActorId, e.ActorName, e.Action, e.TargetType, e.TargetId, e.Address, e.UserAgent, e.Success,
            e.Details is null ? null : System.Text.Json.JsonDocument.Parse(e.Details).RootElement.Clone());
}
