using System.Diagnostics;
using System.Text.Json.Nodes;

namespace MlNetRnn.Pipelines.Bench;

/// <summary>Timing helpers shared by the workloads: a stopwatch around an action, medians and percentiles.</summary>
public static class BenchTiming
{
    /// <summary>Wall time of <paramref name="action"/> in seconds.</summary>
    public static double Seconds(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        clock.Stop();
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>The median (mean of the middle two for an even count).</summary>
    /// <exception cref="ArgumentException">No values.</exception>
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("The median of no values is undefined.", nameof(values));
        var sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>The nearest-rank percentile: the smallest value with at least <paramref name="percent"/>% of the values at or below it.</summary>
    /// <exception cref="ArgumentException">No values, or a percent outside (0, 100].</exception>
    public static double Percentile(IReadOnlyList<double> values, double percent)
    {
        if (values.Count == 0) throw new ArgumentException("The percentile of no values is undefined.", nameof(values));
        if (!(percent is > 0 and <= 100)) throw new ArgumentException($"percent must be in (0, 100]; received {percent}.", nameof(percent));
        var sorted = values.Order().ToArray();
        int rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    /// <summary>Rounds like Python's <c>round(x, digits)</c> for the JSON figures.</summary>
    public static double Round(double value, int digits) => Math.Round(value, digits, MidpointRounding.ToEven);

    /// <summary>A JSON array of rounded times.</summary>
    public static JsonArray Times(IEnumerable<double> seconds, int digits) =>
        new(seconds.Select(s => (JsonNode)JsonValue.Create(Round(s, digits))).ToArray());

    /// <summary>Times <paramref name="repeats"/> runs of <paramref name="run"/> after one warm-up call of <paramref name="warmUp"/>.</summary>
    /// <returns>Each timed run's seconds.</returns>
    public static double[] Repeat(int repeats, Action warmUp, Func<double> run)
    {
        warmUp();
        return Enumerable.Range(0, repeats).Select(_ => run()).ToArray();
    }
}

/// <summary>One line of the human-readable table: what was measured and the figure, e.g. ("W2 inference, Predict", "180.0k tokens/s").</summary>
public sealed record BenchFigure(string Measure, string Figure);

/// <summary>A workload's result: its lines for the table and its JSON object.</summary>
public sealed record BenchResult(IReadOnlyList<BenchFigure> Figures, JsonObject Json)
{
    /// <summary>This result with <paramref name="more"/>'s figures after its own and its JSON fields added (same names replaced).</summary>
    public BenchResult With(BenchResult more)
    {
        var json = (JsonObject)Json.DeepClone();
        foreach (var (name, value) in more.Json) json[name] = value?.DeepClone();
        return new BenchResult([.. Figures, .. more.Figures], json);
    }
}
