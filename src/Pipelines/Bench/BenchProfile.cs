using System.Diagnostics;
using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Pipelines.Demo;
using static TorchSharp.torch;

namespace MlNetRnn.Pipelines.Bench;

/// <summary>
/// Where a fused training step spends its time: the steps of <see cref="Model.TrainOnBatch"/> (data checks,
/// each layer's forward, loss, backward, optimizer, reading the loss) timed one by one with a stopwatch.
/// </summary>
public static class BenchProfile
{
    /// <summary>Seconds per part over <paramref name="epochs"/> full-batch steps of the seed model, plus <see cref="Model.Fit"/>'s total for comparison.</summary>
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

    /// <summary>Seconds per part over one epoch of the tagger workload, plus TrainOnBatch's total for comparison.</summary>
    public static IReadOnlyList<(string Part, double Seconds)> Tagger(TaggerWorkload workload)
    {
        double total;
        using (var model = TaggerWorkload.NewModel())
        {
            workload.TrainEpoch(model, "fused", limit: 10);
            total = workload.TrainEpoch(model, "fused").Seconds;
        }
        using (var model = TaggerWorkload.NewModel())
        {
            var batches = workload.TrainData.Select(b => (b.Ids, b.Tags!)).ToArray();
            Steps(model, batches.Take(10).ToArray(), null);
            var parts = Steps(model, batches, null);
            return [.. parts, ("(TrainOnBatch, same epoch)", total)];
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
        var loss = model.Loss!;
        var optimizer = model.Optimizer!;
        optimizer.Build(model.NamedWeights.Where(w => w.Weight.Trainable).Select(w => w.Weight.Variable).ToArray());
        model.train(true);
        foreach (var (x, y) in batches)
        {
            using var scope = NewDisposeScope();
            var c = Clock("data checks (targets in range)");
            c.Start();
            loss.ValidateTargets(y, [.. y.shape, model.OutputShapes[0][^1]], "y");
            c.Stop();
            Tensor input = x;
            Tensor? mask = null;
            foreach (var layer in model.Layers)
            {
                c = Clock($"forward {layer.TypeName}");
                c.Start();
                var output = layer.Call(input, mask)[0];
                mask = layer.ComputeMask(input, mask);
                input = output;
                c.Stop();
            }
            c = Clock("loss");
            c.Start();
            var value = loss.Compute(y, input, mask);
            c.Stop();
            c = Clock("backward");
            c.Start();
            value.backward();
            c.Stop();
            c = Clock("optimizer step (Adam + zero grads)");
            c.Start();
            optimizer.Step();
            c.Stop();
            c = Clock("loss.item");
            c.Start();
            value.item<float>();
            c.Stop();
        }
        return parts.Select(p => (p.Item1, p.Item2.Elapsed.TotalSeconds)).ToList();
    }
}
