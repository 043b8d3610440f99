using RemoteGpu.Core.Idle;
using RemoteGpu.Worker.Health;
using RemoteGpu.Worker.Idle;
using RemoteGpu.Worker.Runtime;

namespace RemoteGpu.Tests.Worker.Runtime;

/// <summary>
/// The GPU check and the GPU idle probe on their real path — an exec in a real workspace, nvidia-smi's CSV parsed — with
/// the test image's <c>nvidia-smi-fake</c> answering for the GPU this machine does not have.
/// </summary>
[Trait("Category", "E2E")]
[Collection(DockerRuntimeCollection.Name)]
[Trait("Category", "Integration")]
public sealed class GpuProbeTests(DockerRuntimeFixture fixture)
{
    private const string Fake = "nvidia-smi-fake";
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly IdleOptions Policy = new();

    [Fact]
    public async Task ABusyGpu_IsWork_AnIdleOneHoldingMemory_IsReportedAsIdleGpuHeld_AndAMissingDriver_FailsTheCheck()
    {
        var id = fixture.Shared.EnvironmentId;
        try
        {
            // Two GPUs, one at 87 %.
            await ScriptAsync(id, "printf '87 40321\\n0 0\\n' > gpus");
            var reading = await NvidiaSmi.ReadAsync(fixture.Runtime, id, Fake, CancellationToken.None);
            Assert.Equal([87, 0], reading.Gpus.Select(g => g.UtilizationPercent ?? -1));
            var busy = new EnvironmentActivity { EnvironmentId = id };
            ActivityProbes.RecordGpu(busy, reading, Now, Policy);
            Assert.Equal("87%", busy.Sources.Single(s => s.Source == ActivitySources.Gpu).Detail);

            // A process holding memory at 0 %: idle GPU held, and by default still work.
            await ScriptAsync(id, "printf '0 30000\\n' > gpus && printf '4242 30000\\n' > apps");
            var held = await NvidiaSmi.ReadAsync(fixture.Runtime, id, Fake, CancellationToken.None);
            Assert.Equal(1, held.ComputeProcesses);
            var activity = new EnvironmentActivity { EnvironmentId = id };
            ActivityProbes.RecordGpu(activity, held, Now, Policy);
            Assert.Equal(Now, activity.IdleGpuHeldSince);
            Assert.Equal("1 compute process at 0%", activity.Sources.Single().Detail);
            var strict = new EnvironmentActivity { EnvironmentId = id };
            ActivityProbes.RecordGpu(strict, held, Now, Policy with { StopIdleGpuHeld = true });
            Assert.Equal(Now, strict.IdleGpuHeldSince);
            Assert.Empty(strict.Sources);

            // No driver: the check fails with what nvidia-smi said.
            await ScriptAsync(id, "echo \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\" > fail");
            var failed = await Assert.ThrowsAsync<WorkspaceRuntimeException>(() => NvidiaSmi.ReadAsync(fixture.Runtime, id, Fake, CancellationToken.None));
            Assert.Contains("couldn't communicate with the NVIDIA driver", failed.Message, StringComparison.Ordinal);
        }
        finally
        {
            await ScriptAsync(id, "rm -f gpus apps fail");
        }
    }

    /// <summary>What a job in the workspace would make nvidia-smi say: the fake's state files.</summary>
    private async Task ScriptAsync(string id, string command)
    {
        var result = await fixture.Runtime.ExecAsync(id, ["sh", "-c", "mkdir -p /tmp/nvidia-smi-fake && cd /tmp/nvidia-smi-fake && " + command], null, CancellationToken.None);
        Assert.True(result.ExitCode == 0, result.StandardError);
    }
}
