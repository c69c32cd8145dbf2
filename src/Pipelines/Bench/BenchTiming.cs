using System.Diagnostics;
using System.Text.Json.Nodes;

namespace MlNetRnn.Pipelines.Bench;

/// <summary>Timing helpers shared by the workloads: a stopwatch around an action, the median of repeats.</summary>
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

    /// <summary>Rounds like Python's <c>round(x, digits)</c> for the JSON figures.</summary>
    public static double Round(double value, int digits) => Math.Round(value, digits, MidpointRounding.ToEven);

    /// <summary>A JSON array of rounded times.</summary>
    public static JsonArray Times(IEnumerable<double> seconds, int digits) =>
        new(seconds.Select(s => (JsonNode)JsonValue.Create(Round(s, digits))).ToArray());
}

/// <summary>One measured figure for the table: e.g. ("W2 tagger train", "fused", "45.1k tokens/s (6.2 s)").</summary>
public sealed record BenchFigure(string Workload, string Variant, string Figure);

/// <summary>A workload's result: figures for the table and the JSON line the PyTorch reference prints for it.</summary>
public sealed record BenchResult(IReadOnlyList<BenchFigure> Figures, JsonObject Json);
