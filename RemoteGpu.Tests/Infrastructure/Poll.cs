using System.Diagnostics;

namespace RemoteGpu.Tests.Infrastructure;

/// <summary>Waits for a condition by asking it again, never by sleeping a guessed time.</summary>
internal static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>Asks until <paramref name="condition"/> holds; on timeout fails, with what <paramref name="lastSeen"/> says if given.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string>? lastSeen = null)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (stopwatch.Elapsed > timeout)
            {
                Assert.Fail($"No {what} within {timeout.TotalSeconds:F0} s.{(lastSeen is null ? "" : " Last seen: " + lastSeen())}");
            }
            await Task.Delay(Interval);
        }
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, what);
}
