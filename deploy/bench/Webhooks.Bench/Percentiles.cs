namespace Webhooks.Bench;

public static class Percentiles
{
    /// <summary>Nearest-rank percentile of sorted values (0 when there are none).</summary>
    public static double Of(double[] sorted, double quantile) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
}
