using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Onnx;
using MlNetRnn.Tests.Layers.Recurrent;
using static MlNetRnn.Tests.Onnx.OnnxTestSupport;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Onnx;

[TestClass]
public sealed class OnnxLayerExportTests
{
    private static readonly int[] Lengths = [1, 7, 40];

    [TestMethod]
    public void EmbeddingDenseTimeDistributed_MatchNative()
    {
        using var scope = NewDisposeScope();
        var model = new Sequential(seed: 1);
        model.Add(new Embedding(20, 6, maskZero: true, inputShape: [-1]));
        model.Add(new TimeDistributed(new Dense(8, activation: "relu")));
        model.Add(new Dropout(0.5));
        model.Add(new Dense(7, activation: "tanh"));
        model.Add(new TimeDistributed(new Dense(5, activation: "softmax")));
        using (model)
        {
            Randomize(model, 2);
            var ids = PaddedIds(Lengths, 20, seed: 3);
            var onnx = Run(Export(model), ("input_layer", ids));
            CollectionAssert.AreEqual(new[] { "time_distributed_1" }, onnx.Keys.ToArray());
            // No recurrence: every position, padding included, is the same function of its id.
            AssertMatches(model.Predict(ids), onnx["time_distributed_1"], null, "dense stack");
        }
    }

    [TestMethod]
    public void EveryDenseActivation_MatchesNative()
    {
        foreach (var activation in MlNetRnn.Training.Activation.Names)
        {
            using var scope = NewDisposeScope();
            var model = new Sequential(seed: 4);
            model.Add(new Dense(6, activation: activation, inputShape: [5]));
            using (model)
            {
                Randomize(model, 5);
                var x = RecurrentKinds.RandomBatch(1, 4, 5, seed: 6)[0];
                AssertMatches(model.Predict(x), Run(Export(model), ("input_layer", x)).Values.Single(), null, activation);
            }
        }
    }

    [TestMethod]
    public void ConcatenateOfMaskedAndUnmasked_MatchesNative()
    {
        // The joined mask is the OR of the inputs' masks; an unmasked float input makes every step real.
        using var scope = NewDisposeScope();
        var ids = new Input([-1], "ids");
        var features = new Input([-1, 3], "features");
        var joined = new Concatenate().Apply(new Embedding(20, 4, maskZero: true).Apply(ids)[0], features)[0];
        var output = new GRU(5, returnSequences: true).Apply(joined);
        using var model = new Model([ids, features], output, seed: 3);
        Randomize(model, 4);
        var x = PaddedIds(Lengths, 20, seed: 5);
        var f = RecurrentKinds.RandomBatch(3, 40, 3, seed: 6);
        AssertMatches(model.Predict([x, f]), Run(Export(model), ("ids", x), ("features", f)).Values.Single(), null, "concatenate");
    }

    [TestMethod]
    public void Conv1DPaddingsStridesAndPooling_MatchNative()
    {
        foreach (var (padding, strides, dilation, steps) in new[] { ("same", 1, 1, -1L), ("same", 1, 2, -1L), ("valid", 1, 1, 9L), ("same", 2, 1, 9L), ("same", 3, 1, -1L) })
        {
            using var scope = NewDisposeScope();
            var model = new Sequential(seed: 8);
            model.Add(new Conv1D(4, 3, strides: strides, padding: padding, dilationRate: dilation, activation: "relu", inputShape: [steps, 2]));
            model.Add(new GlobalMaxPooling1D(keepDims: true));
            using (model)
            {
                Randomize(model, 9);
                var x = RecurrentKinds.RandomBatch(3, 9, 2, seed: 10);
                AssertMatches(model.Predict(x), Run(Export(model), ("input_layer", x)).Values.Single(), null,
                    $"Conv1D {padding} strides {strides} dilation {dilation} steps {steps}");
            }
        }
    }

    [TestMethod]
    public void UnsupportedLayer_IsNamedInOneClearError()
    {
        using var scope = NewDisposeScope();
        var model = new Sequential(seed: 1);
        model.Add(new Dense(3, inputShape: [4], name: "projection"));
        model.Add(new Doubling(name: "doubling"));
        using (model)
        {
            var e = Assert.ThrowsExactly<NotSupportedException>(() => Export(model));
            Assert.AreEqual(
                $"Layer 'doubling' (Doubling) has no ONNX mapping; the exporter maps {OnnxLayerMapper.SupportedLayers}.", e.Message);
        }
    }

    [TestMethod]
    public void UnsupportedRecurrentActivation_IsNamed()
    {
        using var scope = NewDisposeScope();
        var model = new Sequential(seed: 1);
        model.Add(new SimpleRNN(3, activation: "selu", inputShape: [-1, 2], name: "rnn"));
        using (model)
        {
            var e = Assert.ThrowsExactly<NotSupportedException>(() => Export(model));
            Assert.AreEqual(
                "Layer 'rnn' (SimpleRNN) has activation 'selu'; ONNX's recurrent operators are exported with tanh, sigmoid, relu, softsign or softplus.",
                e.Message);
        }
    }

    [TestMethod]
    public void ExportToPath_WritesAtomicallyAndNothingOnFailure()
    {
        using var scope = NewDisposeScope();
        var directory = Directory.CreateTempSubdirectory("mlnetrnn-onnx-");
        try
        {
            var model = new Sequential(seed: 1);
            model.Add(new Dense(3, inputShape: [4]));
            using (model)
            {
                var path = Path.Combine(directory.FullName, "model.onnx");
                OnnxExporter.Export(model, path);
                CollectionAssert.AreEqual(Export(model), File.ReadAllBytes(path));
                CollectionAssert.AreEqual(new[] { "model.onnx" }, directory.GetFiles().Select(f => f.Name).ToArray());
            }
            var broken = new Sequential(seed: 1);
            broken.Add(new Doubling(inputShape: [4]));
            using (broken)
            {
                var path = Path.Combine(directory.FullName, "broken.onnx");
                Assert.ThrowsExactly<NotSupportedException>(() => OnnxExporter.Export(broken, path));
                Assert.IsFalse(File.Exists(path));
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void UnbuiltModel_IsRefused()
    {
        using var model = new Sequential(seed: 1);
        model.Add(new Dense(3));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Export(model));
        StringAssert.StartsWith(e.Message, "Model 'sequential' has not been built yet");
    }

    /// <summary>A layer the exporter does not know: doubles its input.</summary>
    private sealed class Doubling(long[]? inputShape = null, string? name = null) : Layer(name, inputShape)
    {
        protected override int? InputRank => null;

        public override IReadOnlyList<LayerWeight> Weights => [];

        protected override IReadOnlyList<long[]> OutputShapes(long[] shape) => [shape];

        protected override IReadOnlyList<(string Name, long[] Shape)> DeclaredWeights(long[] inputShape) => [];

        protected override void CreateWeights(long[] shape, Generator? generator)
        {
        }

        protected override IReadOnlyList<Tensor> Forward(Tensor inputs, Tensor? mask) => [inputs * 2];
    }
}
