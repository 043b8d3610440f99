using System.Globalization;

namespace RemoteGpu.Bench;

/// <summary>
/// CPU time (user + system) used so far by a process and every process below it, from <c>/proc</c>:
/// a contender started under the benchmark's watchdog, or nginx's master with its workers, counts whole.
/// Requests per second depend on how the 2 cores are shared out; CPU per request says what each
/// request cost the process that served it.
/// </summary>
internal static class ProcessCpu
{
    /// <summary>USER_HZ, the unit of <c>/proc/&lt;pid&gt;/stat</c>'s times: 100 on every Linux architecture .NET runs on.</summary>
    private const double TicksPerSecond = 100;

    /// <summary>The CPU time one process has used itself (zero once it is gone).</summary>
    public static TimeSpan Of(int pid)
    {
        try
        {
            return TimeSpan.FromSeconds(Parse(File.ReadAllText($"/proc/{pid}/stat")).Ticks / TicksPerSecond);
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>The CPU time the whole machine has spent busy (every state of /proc/stat's cpu line but idle and iowait).</summary>
    public static TimeSpan MachineBusy()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(field => long.Parse(field, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal (guest time is inside user)
        return TimeSpan.FromSeconds((fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]) / TicksPerSecond);
    }

    /// <summary>The CPU time of each root's tree, from one reading of the process table.</summary>
    public static TimeSpan[] TreeTimes(params int[] rootPids)
    {
        var stats = new List<(int Pid, int Parent, long Ticks)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                var (parent, ticks) = Parse(File.ReadAllText(Path.Combine(directory, "stat")));
                stats.Add((pid, parent, ticks));
            }
            catch (IOException)
            {
                // The process ended while the table was read.
            }
        }

        return [.. rootPids.Select(root => TreeTime(stats, root))];
    }

    /// <summary>A <c>/proc/&lt;pid&gt;/stat</c> line's parent and utime + stime.</summary>
    private static (int Parent, long Ticks) Parse(string stat)
    {
        // After the command name in parentheses: state ppid … utime(14) stime(15), counting from pid as 1.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (int.Parse(fields[1], CultureInfo.InvariantCulture),
            long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
    }

    private static TimeSpan TreeTime(List<(int Pid, int Parent, long Ticks)> stats, int rootPid)
    {
        var tree = new HashSet<int> { rootPid };
        bool grew;
        do
        {
            grew = false;
            foreach (var (pid, parent, _) in stats)
            {
                if (tree.Contains(parent) && tree.Add(pid))
                {
                    grew = true;
                }
            }
        }
        while (grew);
        return TimeSpan.FromSeconds(stats.Where(s => tree.Contains(s.Pid)).Sum(s => s.Ticks) / TicksPerSecond);
    }
}
