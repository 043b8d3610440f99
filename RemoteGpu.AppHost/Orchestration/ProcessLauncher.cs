using System.Collections.Concurrent;

namespace RemoteGpu.AppHost.Orchestration;

/// <summary>
/// Starts every child process from one long-lived thread. Linux sends the parent-death signal when the
/// <em>thread</em> that forked the child ends, so forking from pool threads (which retire when idle) would
/// kill children at random; this thread lives until the application is disposed, after every child stopped.
/// </summary>
internal sealed class ProcessLauncher : IDisposable
{
    private readonly BlockingCollection<LaunchRequest> _requests = [];
    private readonly TimeProvider _time;
    private readonly Thread _thread;

    public ProcessLauncher(TimeProvider time)
    {
        _time = time;
        _thread = new Thread(Run) { IsBackground = true, Name = "RemoteGpu.AppHost process launcher" };
        _thread.Start();
    }

    /// <summary>Starts a process. Not cancellable: a launch takes milliseconds, and an abandoned one would leave a child behind.</summary>
    public Task<ManagedProcess> StartAsync(ProcessSpec spec, ResourceLog log)
    {
        var request = new LaunchRequest(spec, log, new TaskCompletionSource<ManagedProcess>(TaskCreationOptions.RunContinuationsAsynchronously));
        _requests.Add(request);
        return request.Started.Task;
    }

    /// <summary>Runs a command to its end (initdb); kills it when <paramref name="timeout"/> passes or on cancellation.</summary>
    public async Task<int> RunToEndAsync(ProcessSpec spec, ResourceLog log, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var process = await StartAsync(spec, log);
        try
        {
            return await process.Exited.WaitAsync(timeout, _time, cancellationToken);
        }
        finally
        {
            await process.StopAsync(TimeSpan.Zero, CancellationToken.None);
        }
    }

    public void Dispose()
    {
        _requests.CompleteAdding();
        _thread.Join();
        _requests.Dispose();
    }

    private void Run()
    {
        foreach (var request in _requests.GetConsumingEnumerable())
        {
            try
            {
                request.Started.SetResult(ManagedProcess.Start(request.Spec, request.Log, _time));
            }
            catch (Exception ex)
            {
                request.Started.SetException(new InvalidOperationException(
                    $"Could not start '{request.Spec.FileName}' (it is started through setsid and setpriv from util-linux): {ex.Message}", ex));
            }
        }
    }

    private sealed record LaunchRequest(ProcessSpec Spec, ResourceLog Log, TaskCompletionSource<ManagedProcess> Started);
}
