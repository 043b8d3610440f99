namespace RemoteGpu.Worker.Runtime;

/// <summary>
/// How a command run in a workspace ended. Output is kept up to <see cref="OutputLimitBytes"/> per stream;
/// <see cref="Truncated"/> says more was written and dropped.
/// </summary>
internal sealed record ExecResult(int ExitCode, string StandardOutput, string StandardError, bool Truncated)
{
    public const int OutputLimitBytes = 64 * 1024;
}
