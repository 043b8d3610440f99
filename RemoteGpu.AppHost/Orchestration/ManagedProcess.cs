using System.Diagnostics;

namespace RemoteGpu.AppHost.Orchestration;

/// <summary>What the orchestrator needs of a started process or container.</summary>
internal interface IRunningInstance : IAsyncDisposable
{
    /// <summary>Completes with the exit code when the instance ends, whoever ended it.</summary>
    public Task<int> Exited { get; }

    public int? ProcessId { get; }

    public string? ContainerId { get; }

    /// <summary>Asks the instance to stop, kills it after <paramref name="grace"/> (or at once when cancelled); true when it had to be killed.</summary>
    public Task<bool> StopAsync(TimeSpan grace, CancellationToken cancellationToken);
}

/// <summary>How to start a process.</summary>
internal sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments, string WorkingDirectory)
{
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Runs under this account instead of ours (Postgres refuses to run as root).</summary>
    public UnixAccount? RunAs { get; init; }

    /// <summary>The signal asking for a graceful stop: SIGTERM, or SIGINT for Postgres' fast shutdown.</summary>
    public int StopSignal { get; init; } = Native.SigTerm;
}

/// <summary>
/// A child process in a session of its own (<c>setsid</c>): Ctrl+C on the terminal reaches only the AppHost,
/// which stops things in order, and the whole tree can be killed at once through its process group. It
/// also dies with the AppHost (<c>setpriv --pdeathsig KILL</c>). Both tools exec in place, so the PID
/// is the service's own. Output goes, line by line, to the resource's log.
/// </summary>
internal sealed class ManagedProcess : IRunningInstance
{
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly int _stopSignal;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ManagedProcess(Process process, int stopSignal, TimeProvider time)
    {
        _process = process;
        _stopSignal = stopSignal;
        _time = time;
    }

    public Task<int> Exited => _exited.Task;

    public int? ProcessId => _process.Id;

    public string? ContainerId => null;

    /// <summary>Starts the process; call it from <see cref="ProcessLauncher"/>'s thread only (the parent-death signal is tied to the thread).</summary>
    internal static ManagedProcess Start(ProcessSpec spec, ResourceLog log, TimeProvider time)
    {
        var startInfo = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = spec.WorkingDirectory,
        };
        startInfo.ArgumentList.Add("setpriv");
        startInfo.ArgumentList.Add("--pdeathsig=KILL");
        if (spec.RunAs is { } account)
        {
            startInfo.ArgumentList.Add($"--reuid={account.UserId}");
            startInfo.ArgumentList.Add($"--regid={account.GroupId}");
            startInfo.ArgumentList.Add("--init-groups");
        }
        startInfo.ArgumentList.Add("--");
        startInfo.ArgumentList.Add(spec.FileName);
        foreach (var argument in spec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in spec.Environment)
        {
            startInfo.Environment[name] = value;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var managed = new ManagedProcess(process, spec.StopSignal, time);
        process.OutputDataReceived += (_, e) => Append(log, e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data, isError: true);
        process.Exited += (_, _) => managed._exited.TrySetResult(process.ExitCode);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return managed;
    }

    public async Task<bool> StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        var stoppedGracefully = _exited.Task.IsCompleted;
        if (!stoppedGracefully && Native.Signal(_process.Id, _stopSignal))
        {
            await Task.WhenAny(_exited.Task, Task.Delay(grace, _time, cancellationToken));
            stoppedGracefully = _exited.Task.IsCompleted;
        }

        // Whatever is left of the session: the process itself when it ignored the signal, and its children.
        Native.Signal(-_process.Id, Native.SigKill);
        await _exited.Task.WaitAsync(KillWait, _time, CancellationToken.None);
        return !stoppedGracefully;
    }

    public ValueTask DisposeAsync()
    {
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private static void Append(ResourceLog log, string? line, bool isError)
    {
        if (line is not null)
        {
            log.Append(line, isError);
        }
    }
}
