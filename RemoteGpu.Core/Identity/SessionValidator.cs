using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using RemoteGpu.Core.Data;

namespace RemoteGpu.Core.Identity;

/// <summary>
/// Checked on every request, for cookies and tokens alike: the user still exists, is not disabled,
/// and the security stamp the credential was issued under is still the user's. Disabling a user or
/// changing their password therefore ends every session at once, not when it expires.
/// </summary>
public static class SessionValidator
{
    public static async Task<bool> IsCurrentAsync(RemoteGpuDbContext db, ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(principal);

        if (!Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var userId) || principal.Stamp() is not { } stamp)
        {
            return false;
        }

        return await db.Users.AsNoTracking()
            .AnyAsync(u => u.Id == userId && !u.IsDisabled && u.SecurityStamp == stamp, cancellationToken);
    }
}
