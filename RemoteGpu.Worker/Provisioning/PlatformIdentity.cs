using RemoteGpu.Core.Data;

namespace RemoteGpu.Worker.Provisioning;

/// <summary>The platform installation this worker serves, read once from the database and kept.</summary>
internal sealed class PlatformIdentity(IServiceScopeFactory scopes)
{
    private string? _id;

    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        if (_id is { } known)
        {
            return known;
        }
        await using var scope = scopes.CreateAsyncScope();
        return _id = await PlatformInstance.GetIdAsync(scope.ServiceProvider.GetRequiredService<RemoteGpuDbContext>(), cancellationToken);
    }
}
