using MlNetRnn.Layers;
using MlNetRnn.Models;
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

    /// <summary>Right-padded (batch, time) mask with the given lengths.</summary>
    public static Tensor RightPadded(long time, params long[] lengths) =>
        arange(time).unsqueeze(0) < tensor(lengths).unsqueeze(1);

    /// <summary>
    /// Autograd against central differences for every weight element, in float64; returns how many elements were
    /// checked and the largest |analytic − numeric|.
    /// </summary>
    public static (int Count, double MaxError) GradientCheck(Func<Sequential> build, Tensor x, Tensor y)
    {
        var previous = get_default_dtype();
        set_default_dtype(ScalarType.Float64);
        try
        {
            using var scope = NewDisposeScope();
            using var model = build();
            model.Compile(loss: "sparse_categorical_crossentropy", optimizer: "sgd");
            model.Predict(x);   // builds
            double Loss()
            {
                using var inner = NewDisposeScope();
                var (outputs, mask) = model.Forward(model.PrepareInputs([x]));
                return model.Loss!.Compute(y, outputs[0], mask).item<double>();
            }
            model.train(true);
            var (outputs, mask) = model.Forward(model.PrepareInputs([x]));
            model.Loss!.Compute(y, outputs[0], mask).backward();
            int count = 0;
            double maxError = 0;
            foreach (var (path, weight) in model.NamedWeights)
            {
                var variable = weight.Variable;
                Assert.AreEqual(ScalarType.Float64, variable.dtype, path);
                var analytic = variable.grad!.flatten().data<double>().ToArray();
                var flat = variable.detach().view(-1);
                const double h = 1e-6;
                for (int i = 0; i < analytic.Length; i++)
                {
                    double original = flat[i].item<double>();
                    using (no_grad()) flat[i].fill_(original + h);
                    double plus = Loss();
                    using (no_grad()) flat[i].fill_(original - h);
                    double minus = Loss();
                    using (no_grad()) flat[i].fill_(original);
                    double numeric = (plus - minus) / (2 * h);
                    Assert.AreEqual(numeric, analytic[i], 1e-7 + 1e-5 * Math.Abs(numeric), $"{path}[{i}]");
                    maxError = Math.Max(maxError, Math.Abs(numeric - analytic[i]));
                    count++;
                }
            }
            return (count, maxError);
        }
        finally
        {
            set_default_dtype(previous);
        }
    }
}
