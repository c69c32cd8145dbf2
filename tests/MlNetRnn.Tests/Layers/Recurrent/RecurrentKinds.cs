using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Tests.Numerics;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers.Recurrent;

/// <summary>The recurrent layers under test, by name, with their Keras references and small test models.</summary>
internal static class RecurrentKinds
{
    public const string SimpleRnn = "SimpleRNN";
    public const string Lstm = "LSTM";
    public const string Gru = "GRU";
    public const string GruResetBefore = "GRU(resetAfter=false)";

    public static RNN Make(string kind, int units, bool returnSequences = false, bool returnState = false, bool goBackwards = false,
        double dropout = 0, double recurrentDropout = 0, string biasInitializer = "uniform") => kind switch
    {
        SimpleRnn => new SimpleRNN(units, biasInitializer: biasInitializer, dropout: dropout, recurrentDropout: recurrentDropout,
            returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards),
        Lstm => new LSTM(units, biasInitializer: biasInitializer, dropout: dropout, recurrentDropout: recurrentDropout,
            returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards),
        Gru => new GRU(units, biasInitializer: biasInitializer, dropout: dropout, recurrentDropout: recurrentDropout,
            returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards),
        GruResetBefore => new GRU(units, biasInitializer: biasInitializer, dropout: dropout, recurrentDropout: recurrentDropout,
            returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards, resetAfter: false),
        _ => throw new ArgumentException(kind),
    };

    public static int StateCount(string kind) => kind == Lstm ? 2 : 1;

    /// <summary>The Keras step over Keras-layout weights [kernel, recurrent_kernel, bias].</summary>
    public static KerasReference.Step Reference(string kind, IReadOnlyList<Tensor> w) => kind switch
    {
        SimpleRnn => KerasReference.SimpleRnn(w[0], w[1], w[2]),
        Lstm => KerasReference.Lstm(w[0], w[1], w[2]),
        Gru => KerasReference.Gru(w[0], w[1], w[2], resetAfter: true),
        GruResetBefore => KerasReference.Gru(w[0], w[1], w[2], resetAfter: false),
        _ => throw new ArgumentException(kind),
    };

    public static Tensor RandomBatch(long batch, long time, long features, int seed)
    {
        using var g = new Generator((ulong)seed);
        return randn([batch, time, features], generator: g);
    }

    /// <summary>A built functional model around one layer.</summary>
    public static Model Functional(Layer layer, long time, long features, int seed = 3)
    {
        var input = new Input([time, features]);
        return new Model(input, layer.Apply(input), seed: seed);
    }

    /// <summary>Calls the layer as it runs, then through the step loop (Keras's loop, the reference), and asserts that the
    /// two give the same outputs in the same shapes, each within <paramref name="tolerance"/>.</summary>
    /// <returns>The outputs of the run as it is.</returns>
    public static IReadOnlyList<Tensor> AssertMatchesStepLoop(RNN layer, Tensor x, Tensor? mask, double tolerance, string label)
    {
        var run = layer.Call(x, mask);
        IReadOnlyList<Tensor> stepwise;
        layer.PreferStepwise = true;
        try
        {
            stepwise = layer.Call(x, mask);
        }
        finally
        {
            layer.PreferStepwise = false;
        }
        Assert.HasCount(stepwise.Count, run, label);
        for (int i = 0; i < run.Count; i++)
        {
            CollectionAssert.AreEqual(stepwise[i].shape, run[i].shape, $"{label}, output {i}");
            double difference = (run[i] - stepwise[i]).abs().max().item<float>();
            Console.WriteLine($"{label}, output {i}: max |run − stepwise| = {difference:E2}");
            Assert.IsLessThan(tolerance, difference, $"{label}, output {i}");
        }
        return run;
    }

    /// <summary>Right-padded (batch, time) mask with the given lengths.</summary>
    public static Tensor RightPadded(long time, params long[] lengths) =>
        arange(time).unsqueeze(0) < tensor(lengths).unsqueeze(1);

    /// <summary>
    /// Autograd against central differences for every weight element, in float64; returns how many elements were
    /// checked and the largest |analytic − numeric|.
    /// </summary>
    public static (int Count, double MaxError) GradientCheck(Func<Sequential> build, Tensor x, Tensor y) => Float64.Run(() =>
    {
        using var scope = NewDisposeScope();
        using var model = build();
        model.Compile(loss: "sparse_categorical_crossentropy", optimizer: "sgd");
        model.Predict(x);   // builds
        model.train(true);
        Tensor Loss()
        {
            var (outputs, mask) = model.Forward(model.PrepareInputs([x]));
            return model.Loss!.Compute(y, outputs[0], mask);
        }
        return FiniteDifferences.AssertGradientsMatch(Loss, model.NamedWeights.Select(w => (w.Path, w.Weight.Variable)));
    });
}
