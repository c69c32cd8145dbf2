using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Training;

/// <summary>Small models and helper callbacks shared by the training tests.</summary>
internal static class TrainingTestModels
{
    /// <summary>Dense(2, softmax) on one input with zero weights: on x = [1], y = 0 the gradients are
    /// g(kernel) = [[−0.5, 0.5]] and g(bias) = [−0.5, 0.5], and the loss is −log 0.5.</summary>
    public static Sequential OneStep(Optimizer optimizer, string loss = "sparse_categorical_crossentropy")
    {
        var model = new Sequential();
        model.Add(new Dense(2, activation: "softmax", inputShape: [1]));
        model.SetWeights([zeros(1, 2), zeros(2)]);
        model.Compile(loss: loss, optimizer: optimizer);
        return model;
    }

    /// <summary>SimpleRNN(3) → TimeDistributed(Dense(3, softmax)) on (3, 3) inputs, Adam, seeded.</summary>
    public static Sequential Seed(int seed, IReadOnlyList<string>? metrics = null, Optimizer? optimizer = null)
    {
        var model = new Sequential(seed: seed);
        model.Add(new SimpleRNN(3, inputShape: [3, 3], returnSequences: true));
        model.Add(new TimeDistributed(new Dense(3, activation: "softmax")));
        model.Compile(loss: "sparse_categorical_crossentropy", optimizer: optimizer ?? "adam", metrics: metrics);
        return model;
    }

    /// <summary>Six random sequences (6, 3, 3) with tags in [0, 3).</summary>
    public static (Tensor X, Tensor Y) RandomData(int seed = 3)
    {
        using var g = new Generator((ulong)seed);
        return (randn([6, 3, 3], generator: g), randint(0, 3, [6, 3], generator: g));
    }

    public static bool SameWeights(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.shape.SequenceEqual(p.Second.shape) && p.First.allclose(p.Second, rtol: 0, atol: 0));
}

/// <summary>Puts given values into each epoch's logs under a name, so monitors see a known sequence.</summary>
internal sealed class ScriptedValue(string name, params double[] values) : Callback
{
    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs) => logs[name] = values[epoch];
}

/// <summary>Keeps a copy of the weights after each epoch (or each batch).</summary>
internal sealed class WeightRecorder(bool everyBatch = false) : Callback, IDisposable
{
    public List<Tensor[]> Snapshots { get; } = [];

    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        if (!everyBatch) Record();
    }

    public override void OnTrainBatchEnd(int batch, IDictionary<string, double> logs)
    {
        if (everyBatch) Record();
    }

    private void Record() => Snapshots.Add(Model.GetWeights().Select(w => w.DetachFromDisposeScope()).ToArray());

    public void Dispose()
    {
        foreach (var w in Snapshots.SelectMany(s => s)) w.Dispose();
    }
}
