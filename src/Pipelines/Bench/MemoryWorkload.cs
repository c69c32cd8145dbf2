using System.Globalization;
using System.Text.Json.Nodes;
using MlNetRnn.Training;

namespace MlNetRnn.Pipelines.Bench;

/// <summary>
/// Memory in W2 training: a fresh tagger trained for several epochs by <c>Model.Fit</c> on the length-grouped
/// batches; the peak resident set (VmHWM, restarted just before training where the kernel allows) and how much
/// the resident set (VmRSS) grew from the end of epoch <see cref="GrowthFromEpoch"/> to the end of the last epoch.
/// </summary>
public static class MemoryWorkload
{
    /// <summary>Training epochs of a full run (the epoch 2 to epoch 10).</summary>
    public const int FullEpochs = 10;
    /// <summary>Training epochs with <c>--quick</c>.</summary>
    public const int QuickEpochs = 3;
    /// <summary>The 1-based epoch whose end is the growth's baseline (the first epochs fill caches and optimizer state).</summary>
    public const int GrowthFromEpoch = 2;

    /// <summary>Trains for <paramref name="epochs"/> epochs and measures.</summary>
    /// <exception cref="ArgumentException">Fewer than <see cref="GrowthFromEpoch"/> + 1 epochs.</exception>
    public static BenchResult Run(TaggerWorkload workload, int epochs)
    {
        if (epochs <= GrowthFromEpoch)
            throw new ArgumentException($"epochs must be > {GrowthFromEpoch} to measure growth; received {epochs}.", nameof(epochs));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        double before = ProcessMemory.ResidentMegabytes();
        bool peakRestarted = ProcessMemory.TryResetPeak();
        var atEpochEnd = new RssAtEpochEnd();
        using (var model = TaggerWorkload.NewModel())
        {
            model.Fit(workload.Grouped, epochs: epochs, verbose: 0, callbacks: [atEpochEnd]);
        }
        double peak = ProcessMemory.PeakResidentMegabytes();
        var rss = atEpochEnd.Megabytes;
        double from = rss[GrowthFromEpoch - 1], to = rss[^1];
        double growth = (to - from) / from * 100;
        var json = new JsonObject
        {
            ["impl"] = "mlnetrnn",
            ["workload"] = "memory",
            ["peak_rss_mb"] = BenchTiming.Round(peak, 1),
            ["rss_growth_pct"] = BenchTiming.Round(growth, 2),
            ["epochs"] = epochs,
            ["growth_from_epoch"] = GrowthFromEpoch,
            ["growth_to_epoch"] = epochs,
            ["rss_before_training_mb"] = BenchTiming.Round(before, 1),
            ["rss_at_epoch_end_mb"] = new JsonArray(rss.Select(r => (JsonNode)JsonValue.Create(BenchTiming.Round(r, 1))).ToArray()),
            ["peak_since"] = peakRestarted ? "training start" : "process start",
        };
        var figure = string.Create(CultureInfo.InvariantCulture,
            $"peak {peak:F0} MB, growth {growth:+0.0;-0.0;0.0}% (epochs {GrowthFromEpoch}→{epochs})");
        return new BenchResult([new BenchFigure($"W2 training memory, {epochs} epochs", figure)], json);
    }

    /// <summary>Records VmRSS at the end of every epoch.</summary>
    private sealed class RssAtEpochEnd : Callback
    {
        /// <summary>VmRSS in MB at the end of each epoch so far, in order.</summary>
        public List<double> Megabytes { get; } = [];

        public override void OnEpochEnd(int epoch, IDictionary<string, double> logs) => Megabytes.Add(ProcessMemory.ResidentMegabytes());
    }
}
