using RemoteGpu.Worker.Idle;

namespace RemoteGpu.Tests.Worker;

/// <summary>Reading a workspace's processes and CPU time as the idle probe's one exec prints them.</summary>
public sealed class ActivityProbesTests
{
    [Fact]
    public void SshSessions_AreSshdsPerSessionProcesses_NotItsListenerPrivilegedOrPreauthProcesses()
    {
        const string output = """
            /usr/bin/tini -- /usr/local/bin/remotegpu-entrypoint
            sshd: /usr/sbin/sshd -D -e [listener] 0 of 64-128 startups
            sshd: remotegpu [priv]
            sshd: remotegpu@pts/0
            -bash
            sshd: remotegpu [priv]
            sshd: remotegpu@notty
            sshd: remotegpu [priv]
            sshd: remotegpu
            sshd: unknown [preauth]
            sshd: remotegpu [net]
            python3 -m jupyter_server --ServerApp.port=8888

            @@cpu
            usage_usec 1234567
            user_usec 1000000
            """;
        Assert.Equal((3, 1_234_567_000L), ActivityProbes.ParseProcessesAndCpu(output));
        Assert.Equal((0, 58_643_466L), ActivityProbes.ParseProcessesAndCpu("bash\n@@cpu\n58643466\n"));
        Assert.Equal((0, (long?)null), ActivityProbes.ParseProcessesAndCpu("bash\n@@cpu\n"));
    }
}
