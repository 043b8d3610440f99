namespace RemoteGpu.Bench;

internal static class Percentiles
{
    /// <summary>The nearest-rank percentile: the smallest sample at or above fraction <paramref name="p"/> of them.</summary>
    public static double Of(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Clamp(Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
