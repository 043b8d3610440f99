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

    [Fact]
    public void SshSessions_ListedAfterTheProbesOwnCommandLine_AreCounted()
    {
        // As a workspace printed it (NULs and all): the glob lists /proc/198, the probe's own sh, before /proc/83, the session.
        const string output =
            "==> /proc/1/cmdline <==\n/usr/bin/tini\0--\0/usr/local/bin/remotegpu-entrypoint\0\n" +
            "==> /proc/18/cmdline <==\nsshd: /usr/sbin/sshd -D -e [listener] 0 of 64-128 startups\0\n" +
            "==> /proc/198/cmdline <==\nsh\0-c\0head -v -c 512 /proc/[0-9]*/cmdline 2>/dev/null; echo; echo @@cpu; " +
            "cat /sys/fs/cgroup/cpu.stat /sys/fs/cgroup/cpuacct/cpuacct.usage 2>/dev/null; true\0\n" +
            "==> /proc/50/cmdline <==\nsshd: remotegpu [priv]\0\0\n" +
            "==> /proc/83/cmdline <==\nsshd: remotegpu@pts/0\0\0\0\n" +
            "==> /proc/84/cmdline <==\n-bash\0\n" +
            "@@cpu\n4513489420\n";
        Assert.Equal((1, 4_513_489_420L), ActivityProbes.ParseProcessesAndCpu(output));
    }
}
