using RemoteGpu.Core.Idle;

namespace RemoteGpu.Tests.Core;

/// <summary>The idle rule without the platform: what keeps an environment, when it is warned, when it stops.</summary>
public sealed class IdleVerdictTests
{
    private static readonly DateTimeOffset Started = new(2026, 12, 3, 13, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan Warning = TimeSpan.FromMinutes(5);

    [Fact]
    public void ASourceSeenNow_KeepsIt_AndTheVerdictSaysWhichAndWhen()
    {
        var activity = new EnvironmentActivity { EnvironmentId = "env-0123abcd" };
        var now = Started.AddHours(2);
        activity.Saw(ActivitySources.Gpu, now, "87%");
        var decision = IdleVerdict.Decide(activity, Timeout, Started, null, Warning, now);
        Assert.Equal(IdleState.Active, decision.State);
        Assert.Equal("kept by: gpu 87% at 15:00:00 UTC", decision.Verdict);
        Assert.False(decision.Stop);
    }

    [Fact]
    public void NothingSinceTheStart_IsIdle_WarnedOnceBeforeTheStop_ThenStopped()
    {
        var activity = new EnvironmentActivity { EnvironmentId = "env-0123abcd" };
        // Activity from before this start does not count.
        activity.Saw(ActivitySources.Ssh, Started.AddMinutes(-5), "1 session");

        var idle = IdleVerdict.Decide(activity, Timeout, Started, null, Warning, Started.AddMinutes(10));
        Assert.Equal(IdleState.Idle, idle.State);
        Assert.Equal("stopping at 13:30:00 UTC: idle since 13:00:00 UTC", idle.Verdict);

        var warned = IdleVerdict.Decide(activity, Timeout, Started, null, Warning, Started.AddMinutes(25));
        Assert.Equal((IdleState.Warned, true, false), (warned.State, warned.Warn, warned.Stop));
        activity.WarnedAt = Started.AddMinutes(25);
        Assert.False(IdleVerdict.Decide(activity, Timeout, Started, null, Warning, Started.AddMinutes(27)).Warn);

        var stopped = IdleVerdict.Decide(activity, Timeout, Started, null, Warning, Started.AddMinutes(30));
        Assert.True(stopped.Stop);
        Assert.Equal("stopped: idle since 13:00:00 UTC (30 min without activity)", stopped.Verdict);
    }

    [Fact]
    public void TheWarning_ComesAtMostHalfTheTimeoutAhead_SoATwoMinuteTimeoutWorks()
    {
        Assert.Equal(TimeSpan.FromMinutes(1), IdleVerdict.Lead(TimeSpan.FromMinutes(2), Warning));
        var activity = new EnvironmentActivity { EnvironmentId = "env-0123abcd" };
        Assert.Equal(IdleState.Idle, IdleVerdict.Decide(activity, TimeSpan.FromMinutes(2), Started, null, Warning, Started.AddSeconds(59)).State);
        Assert.True(IdleVerdict.Decide(activity, TimeSpan.FromMinutes(2), Started, null, Warning, Started.AddSeconds(60)).Warn);
    }

    [Fact]
    public void ALease_HoldsItUntilItEnds_ThenTheTimeoutRunsFromItsEnd()
    {
        var activity = new EnvironmentActivity { EnvironmentId = "env-0123abcd" };
        var lease = Started.AddHours(8);
        var held = IdleVerdict.Decide(activity, Timeout, Started, lease, Warning, Started.AddHours(7));
        Assert.Equal(IdleState.KeptAlive, held.State);
        Assert.Equal("kept by: keep-alive lease until 21:00:00 UTC", held.Verdict);
        Assert.False(IdleVerdict.Decide(activity, Timeout, Started, lease, Warning, lease.AddMinutes(29)).Stop);
        Assert.True(IdleVerdict.Decide(activity, Timeout, Started, lease, Warning, lease.AddMinutes(30)).Stop);
    }

    [Fact]
    public void ATimeoutOfZero_NeverStops()
    {
        var decision = IdleVerdict.Decide(new EnvironmentActivity { EnvironmentId = "env-0123abcd" }, TimeSpan.Zero, Started, null, Warning, Started.AddDays(30));
        Assert.Equal((IdleState.Never, false), (decision.State, decision.Stop));
    }

    [Fact]
    public void ASourceNeverMovesBack()
    {
        var activity = new EnvironmentActivity { EnvironmentId = "env-0123abcd" };
        activity.Saw(ActivitySources.Kernel, Started.AddMinutes(10), "1 busy kernel");
        activity.Saw(ActivitySources.Kernel, Started.AddMinutes(5), "kernel");
        Assert.Equal(Started.AddMinutes(10), activity.LastActive(ActivitySources.Kernel));
    }
}
