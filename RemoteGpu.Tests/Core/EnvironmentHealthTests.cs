using RemoteGpu.Core.Health;

namespace RemoteGpu.Tests.Core;

/// <summary>The rules of a check's state (Coder's threshold) and of the overall verdict, without the platform.</summary>
public sealed class EnvironmentHealthTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ACheckChanges_OnlyAfterThresholdResultsInARow_SoOneSlowProbeNeverFlaps()
    {
        var health = new EnvironmentHealth { EnvironmentId = "env-0123abcd" };
        Assert.Null(health.Record("ssh", passed: true, null, T0, threshold: 3));
        Assert.Null(health.Record("ssh", passed: true, null, T0.AddSeconds(1), threshold: 3));
        var healthy = health.Record("ssh", passed: true, null, T0.AddSeconds(2), threshold: 3);
        Assert.Equal(new HealthEvent(T0.AddSeconds(2), HealthEvent.Change, "ssh", HealthState.Unknown, HealthState.Healthy, null), healthy);

        // One failure, then a pass: the streak starts over and nothing changes.
        Assert.Null(health.Record("ssh", passed: false, "timeout", T0.AddSeconds(3), threshold: 3));
        Assert.Null(health.Record("ssh", passed: true, null, T0.AddSeconds(4), threshold: 3));
        Assert.Null(health.Record("ssh", passed: false, "timeout", T0.AddSeconds(5), threshold: 3));
        Assert.Null(health.Record("ssh", passed: false, "refused", T0.AddSeconds(6), threshold: 3));
        Assert.Equal(HealthState.Healthy, health.State("ssh"));
        var unhealthy = health.Record("ssh", passed: false, "refused", T0.AddSeconds(7), threshold: 3);
        Assert.Equal(HealthState.Unhealthy, unhealthy!.To);
        Assert.Equal("refused", unhealthy.Detail);
        Assert.Equal(T0.AddSeconds(7), health.Checks.Single().Since);
        Assert.Equal([unhealthy, healthy!], health.History);
    }

    [Fact]
    public void WhileStarting_ACheckThatHasNotPassedYet_StaysUnknown_ButOneThatPassedCanFail()
    {
        var health = new EnvironmentHealth { EnvironmentId = "env-0123abcd" };
        var graceEnds = T0.AddMinutes(2);
        for (var i = 0; i < 5; i++)
        {
            Assert.Null(health.Record("jupyter", passed: false, "connection refused", T0.AddSeconds(i), threshold: 2, graceEnds));
        }
        Assert.Equal((HealthState.Unknown, "connection refused"), (health.State("jupyter"), health.Checks.Single().LastError));
        health.Record("jupyter", passed: true, null, T0.AddSeconds(10), threshold: 1, graceEnds);
        health.Record("jupyter", passed: false, "500", T0.AddSeconds(11), threshold: 1, graceEnds);
        Assert.Equal(HealthState.Unhealthy, health.State("jupyter"));
        health.Record("ssh", passed: false, "refused", graceEnds, threshold: 1, graceEnds);
        Assert.Equal(HealthState.Unhealthy, health.State("ssh"));
    }

    [Fact]
    public void TheVerdict_IsUnhealthyForAnEssentialCheck_DegradedForAnother_UnknownUntilEveryCheckAnswered()
    {
        var health = new EnvironmentHealth { EnvironmentId = "env-0123abcd" };
        Assert.Equal(HealthState.Unknown, health.ComputeOverall());
        health.Record("container", true, null, T0, 1);
        health.Record("ssh", true, null, T0, 1);
        health.Record("jupyter", false, "503", T0, 2);
        Assert.Equal(HealthState.Unknown, health.ComputeOverall());
        health.Record("jupyter", true, null, T0, 1);
        Assert.Equal(HealthState.Healthy, health.ComputeOverall());
        health.Record("jupyter", false, "503", T0, 1);
        Assert.Equal(HealthState.Degraded, health.ComputeOverall());
        health.Record("ssh", false, "no banner", T0, 1);
        Assert.Equal(HealthState.Unhealthy, health.ComputeOverall());

        health.Restarted(T0.AddMinutes(1));
        Assert.All(health.Checks, c => Assert.Equal(HealthState.Unknown, c.State));
        Assert.Equal(HealthState.Unknown, health.ComputeOverall());
    }

    [Fact]
    public void TheHistory_KeepsTheLatestChangesAndRepairs_Only()
    {
        var health = new EnvironmentHealth { EnvironmentId = "env-0123abcd" };
        for (var i = 0; i < EnvironmentHealth.HistoryLimit * 2; i++)
        {
            health.Record("jupyter", passed: i % 2 == 0, "down", T0.AddSeconds(i), threshold: 1);
        }
        var repair = health.RecordRepair("jupyter", "restart_service", T0.AddHours(1));
        Assert.Equal(EnvironmentHealth.HistoryLimit, health.History.Count);
        Assert.Equal(repair, health.History[0]);
        Assert.Equal(1, health.Repairs);
        Assert.Equal(T0.AddSeconds((EnvironmentHealth.HistoryLimit * 2) - 1), health.History[1].At);
    }
}
