using MlNetRnn.Layers;
using MlNetRnn.Models.Serialization;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Models.Serialization;

[TestClass]
public sealed class WeightShapesTests
{
    // The sizes a file is checked against before building (asked of a layer rebuilt from its config, as the reader
    // does) must be the names and sizes building makes, for every registered class.
    [TestMethod]
    public void EveryRegisteredClass_ImpliesTheShapesItBuilds()
    {
        using var scope = NewDisposeScope();
        (Layer Layer, long[][] Inputs)[] cases =
        [
            (new Dense(3), [[5, 4]]),
            (new Dense(3, useBias: false), [[4]]),
            (new Embedding(7, 2), [[-1]]),
            (new Dropout(0.5), [[3]]),
            (new Concatenate(), [[2, 3], [2, 4]]),
            (new Conv1D(4, 3), [[6, 2]]),
            (new Conv1D(4, 2, useBias: false), [[6, 5]]),
            (new GlobalMaxPooling1D(), [[6, 2]]),
            (new TimeDistributed(new TimeDistributed(new Conv1D(2, 3))), [[2, 3, 5, 4]]),
            (new SimpleRNN(3), [[4, 2]]),
            (new SimpleRNN(3, useBias: false), [[4, 2]]),
            (new LSTM(3), [[4, 2]]),
            (new GRU(3), [[4, 2]]),
            (new GRU(3, resetAfter: false), [[4, 2]]),
            (new Bidirectional(new LSTM(3, returnSequences: true)), [[4, 2]]),
            (new Bidirectional(new GRU(2), backwardLayer: new GRU(3, goBackwards: true), mergeMode: null), [[4, 2]]),
        ];
        CollectionAssert.AreEquivalent(LayerRegistry.ClassNames.ToArray(), cases.Select(c => c.Layer.TypeName).Distinct().ToArray());
        foreach (var (layer, inputs) in cases)
        {
            using (layer)
            {
                layer.Build(inputs, null);
                using var unbuilt = LayerRegistry.FromJson(LayerRegistry.ToJson(layer));
                var implied = unbuilt.WeightShapes(inputs);
                Assert.IsFalse(unbuilt.Built, layer.TypeName);
                Assert.AreEqual(
                    string.Join("; ", layer.Weights.Select(w => $"{w.Name} {string.Join("x", w.Shape)}")),
                    string.Join("; ", implied.Select(w => $"{w.Name} {string.Join("x", w.Shape)}")),
                    layer.TypeName);
            }
        }
    }

    // A layer whose declared weights are not the ones it builds would let a reader check a file against wrong sizes.
    [TestMethod]
    public void Build_RefusesWeightsOtherThanDeclared()
    {
        using var layer = new Misdeclared();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => layer.Build([3], null));
        Assert.AreEqual("Layer 'misdeclared' (Misdeclared) built weights [kernel (3, 2)] for input (None, 3), but declares [kernel (3, 3)].", e.Message);
    }

    [TestMethod]
    public void Count_Saturates()
    {
        Assert.AreEqual(2 * 3 + 4, WeightShapes.Count([[2, 3], [4]]));
        Assert.AreEqual(long.MaxValue, WeightShapes.Count([[1L << 40, 1L << 40]]));
        Assert.AreEqual(long.MaxValue, WeightShapes.Count([[long.MaxValue], [1]]));
    }

    // Builds a (features, 2) kernel but declares (features, features).
    private sealed class Misdeclared() : Layer("misdeclared", null)
    {
        private LayerWeight[] _weights = [];

        public override IReadOnlyList<LayerWeight> Weights => _weights;

        protected override int? InputRank => 1;

        protected override IReadOnlyList<long[]> OutputShapes(long[] inputShape) => [[2]];

        protected override IReadOnlyList<(string Name, long[] Shape)> DeclaredWeights(long[] inputShape) => [("kernel", [inputShape[0], inputShape[0]])];

        protected override void CreateWeights(long[] inputShape, TorchSharp.torch.Generator? generator)
        {
            var kernel = new TorchSharp.Modules.Parameter(zeros(inputShape[0], 2));
            register_parameter("kernel", kernel);
            _weights = [new LayerWeight("kernel", kernel, transposed: false)];
        }

        protected override IReadOnlyList<Tensor> Forward(Tensor inputs, Tensor? mask) => [inputs.matmul(_weights[0].Read())];
    }
}
