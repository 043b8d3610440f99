using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using RemoteGpu.Core.Data;
using RemoteGpu.Core.Identity;

namespace RemoteGpu.Core.Environments;

public enum EnvironmentRight
{
    /// <summary>The caller may not know it exists: answer 404.</summary>
    None,

    /// <summary>
    /// A live grant: use it while it runs (Jupyter, code-server, terminal), never manage it: no stop or start
    /// (a stop would end the owner's training job; a start spends the owner's GPU hours), no delete, reset,
    /// reveal or share. docs/security.md, "Sharing".
    /// </summary>
    Use,

    /// <summary>Owner or admin: also stop, start, delete, reset, share.</summary>
    Manage,
}

/// <summary>
/// What the caller may do with an environment, decided from their identity and never from the id in
/// the URL: owners and admins manage; holders of a grant that has not expired use. Deleted
/// environments are invisible.
/// </summary>
public static class EnvironmentAccess
{
    public static async Task<EnvironmentRight> ResolveAsync(
        RemoteGpuDbContext db, ClaimsPrincipal caller, string environmentId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(caller);

        var userId = caller.UserId();
        var found = await db.Environments.AsNoTracking()
            .Where(e => e.Id == environmentId && e.Status != EnvironmentStatus.Deleted)
            .Select(e => new
            {
                e.OwnerId,
                Granted = db.EnvironmentGrants.Any(g => g.EnvironmentId == e.Id && g.UserId == userId && g.ExpiresAt > now),
            })
            .SingleOrDefaultAsync(cancellationToken);

        return found is null ? EnvironmentRight.None : Decide(caller, found.OwnerId, found.Granted);
    }

    /// <summary>The rule itself, for an environment that exists: the Api asks Postgres, the edge its route table.</summary>
    public static EnvironmentRight Decide(ClaimsPrincipal caller, Guid ownerId, bool granted)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return Decide(caller.UserId(), caller.IsInRole(Roles.Admin), ownerId, granted);
    }

    /// <summary>The same rule for a caller already known by id and role, as the edge knows a token's user.</summary>
    public static EnvironmentRight Decide(Guid callerId, bool isAdmin, Guid ownerId, bool granted) =>
        ownerId == callerId || isAdmin ? EnvironmentRight.Manage
            : granted ? EnvironmentRight.Use
            : EnvironmentRight.None;
}
