using System.Globalization;
using System.Text.Json.Nodes;
using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Pipelines.Demo;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Pipelines.Bench;

/// <summary>
/// W1 "seed": the notebook's 2×3×3 one-hot SVO data, SimpleRNN(3, returnSequences) →
/// TimeDistributed(Dense(3, softmax)), full-batch Adam (lr 1e-3, ε 1e-7), trained with <c>Sequential.Fit</c>
/// (batch 2, silent) as a user would; the time of <c>Fit</c> only, on a model built beforehand.
/// </summary>
public sealed class SeedWorkload
{
    /// <summary>Epochs per timed run, as torch_bench.py.</summary>
    public const int FullEpochs = 2000;
    /// <summary>Epochs per timed run with <c>--quick</c>, as torch_bench.py --quick.</summary>
    public const int QuickEpochs = 200;

    /// <param name="epochs">Epochs per timed run.</param>
    /// <param name="repeats">Timed runs; the figure is their median.</param>
    public SeedWorkload(int epochs, int repeats)
    {
        if (epochs < 1) throw new ArgumentException($"epochs must be ≥ 1; received {epochs}.", nameof(epochs));
        if (repeats < 1) throw new ArgumentException($"repeats must be ≥ 1; received {repeats}.", nameof(repeats));
        Epochs = epochs;
        Repeats = repeats;
    }

    /// <summary>Epochs per timed run.</summary>
    public int Epochs { get; }
    /// <summary>Timed runs.</summary>
    public int Repeats { get; }

    /// <summary>A fresh compiled model (seed 0), built outside any timed region.</summary>
    public static Sequential NewModel()
    {
        var model = new Sequential(seed: 0);
        model.Add(new SimpleRNN(3, inputShape: [3, 3], returnSequences: true));
        model.Add(new TimeDistributed(new Dense(3, activation: "softmax")));
        model.Compile(new SparseCategoricalCrossentropy(), new Adam(learningRate: 1e-3, epsilon: 1e-7));
        return model;
    }

    /// <summary>One timed <c>Fit</c> of <paramref name="epochs"/> epochs on a fresh model.</summary>
    /// <returns>Seconds in <c>Fit</c>, and the loss of the last epoch.</returns>
    public static (double Seconds, double FinalLoss) RunOnce(int epochs)
    {
        using var scope = NewDisposeScope();
        var x = SeedNotebook.OneHotInputs();
        var y = SeedNotebook.TagTargets();
        using var model = NewModel();
        double finalLoss = double.NaN;
        double seconds = BenchTiming.Seconds(() => finalLoss = model.Fit(x, y, epochs: epochs, batchSize: 2, verbose: 0).Loss[^1]);
        return (seconds, finalLoss);
    }

    /// <summary>Warm-up (a tenth of the epochs, at least 50), then <see cref="Repeats"/> timed runs.</summary>
    public BenchResult Run()
    {
        double finalLoss = double.NaN;
        var times = BenchTiming.Repeat(Repeats, () => RunOnce(Math.Max(50, Epochs / 10)), () =>
        {
            var (seconds, loss) = RunOnce(Epochs);
            finalLoss = loss;
            return seconds;
        });
        double median = BenchTiming.Median(times);
        var json = new JsonObject
        {
            ["impl"] = "mlnetrnn",
            ["workload"] = "seed",
            ["variant"] = "fused",
            ["epochs"] = Epochs,
            ["repeats"] = Repeats,
            ["median_s"] = BenchTiming.Round(median, 4),
            ["times_s"] = BenchTiming.Times(times, 4),
            ["epochs_per_s"] = BenchTiming.Round(Epochs / median, 1),
            ["final_loss"] = BenchTiming.Round(finalLoss, 6),
        };
        var figure = string.Create(CultureInfo.InvariantCulture, $"{median:F3} s ({Epochs / median:N0} epochs/s)");
        return new BenchResult([new BenchFigure(string.Create(CultureInfo.InvariantCulture, $"W1 seed, {Epochs:N0} epochs"), figure)], json);
    }
}
