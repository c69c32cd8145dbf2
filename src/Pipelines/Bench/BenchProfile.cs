using System.Diagnostics;
using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Pipelines.Demo;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Pipelines.Bench;

/// <summary>
/// Where a fused training step spends its time: <see cref="Trainer.TrainOnBatch"/> on the model with its data check and
/// each layer's forward timed by a stopwatch; the rest of the step (loss, backward, optimizer, reading the loss) is the
/// step's time minus those parts.
/// </summary>
public static class BenchProfile
{
    /// <summary>Seconds per part over <paramref name="epochs"/> full-batch steps of the seed model, plus <c>Model.Fit</c>'s total for comparison.</summary>
    public static IReadOnlyList<(string Part, double Seconds)> Seed(int epochs)
    {
        using var scope = NewDisposeScope();
        var x = SeedNotebook.OneHotInputs();
        var y = SeedNotebook.TagTargets();
        double fit;
        using (var model = SeedWorkload.NewModel())
        {
            model.Fit(x, y, epochs: 50, batchSize: 2, verbose: 0);
            fit = BenchTiming.Seconds(() => model.Fit(x, y, epochs: epochs, batchSize: 2, verbose: 0));
        }
        using (var model = SeedWorkload.NewModel())
        {
            var parts = Steps(model, Enumerable.Repeat((x, y), 50).ToArray(), null);
            parts = Steps(model, Enumerable.Repeat((x, y), epochs).ToArray(), null);
            return [.. parts, ("(Model.Fit, same epochs)", fit)];
        }
    }

    /// <summary>Seconds per part over one epoch of the tagger workload on torch_bench.py's batches, plus <c>Model.Fit</c>'s total for comparison.</summary>
    public static IReadOnlyList<(string Part, double Seconds)> Tagger(TaggerWorkload workload)
    {
        double total;
        using (var model = TaggerWorkload.NewModel())
        {
            TaggerWorkload.TrainEpoch(model, TaggerWorkload.WarmUp(workload.SameBatches));
            total = TaggerWorkload.TrainEpoch(model, workload.SameBatches);
        }
        using (var model = TaggerWorkload.NewModel())
        {
            var batches = workload.SameBatches.GetBatches(0).Select(b => (b.Inputs[0], b.Targets)).ToArray();
            Steps(model, batches.Take(10).ToArray(), null);
            var parts = Steps(model, batches, null);
            return [.. parts, ("(Model.Fit, same epoch)", total)];
        }
    }

    private static List<(string Part, double Seconds)> Steps(Model model, (Tensor X, Tensor Y)[] batches, object? _)
    {
        var parts = new List<(string, Stopwatch)>();
        Stopwatch Clock(string name)
        {
            foreach (var (n, w) in parts) if (n == name) return w;
            var clock = new Stopwatch();
            parts.Add((name, clock));
            return clock;
        }
        var check = Clock("data checks (targets in range)");
        (Tensor, Tensor?) TimedForward(IReadOnlyList<Tensor> inputs)
        {
            Tensor input = inputs[0];
            Tensor? mask = null;
            foreach (var layer in model.Layers)
            {
                var c = Clock($"forward {layer.TypeName}");
                c.Start();
                var output = layer.Call(input, mask)[0];
                mask = layer.ComputeMask(input, mask);
                input = output;
                c.Stop();
            }
            return (input, mask);
        }
        var trainer = new Trainer(new ForwardOverride(model, TimedForward, (batch, name) =>
        {
            check.Start();
            ((ITrainableModel)model).CheckBatch(batch, name);
            check.Stop();
        }));
        var step = new Stopwatch();
        foreach (var (x, y) in batches)
        {
            step.Start();
            trainer.TrainOnBatch(new Batch([x], y));
            step.Stop();
        }
        var measured = parts.Select(p => (p.Item1, p.Item2.Elapsed.TotalSeconds)).ToList();
        measured.Add(("rest of the step (loss, backward, Adam + zero grads, loss read)", step.Elapsed.TotalSeconds - measured.Sum(p => p.Item2)));
        return measured;
    }
}
