using MlNetRnn.Layers;
using MlNetRnn.Models.Serialization;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Models.Serialization;

[TestClass]
public sealed class WeightShapesTests
{
    // The sizes a file is checked against before building must be the sizes building makes, for every registered class.
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
                var implied = WeightShapes.Of(LayerRegistry.ToJson(layer), inputs)!;
                Assert.AreEqual(
                    string.Join("; ", layer.Weights.Select(w => string.Join("x", w.Shape))),
                    string.Join("; ", implied.Select(s => string.Join("x", s))),
                    layer.TypeName);
            }
        }
    }

    [TestMethod]
    public void Count_Saturates()
    {
        Assert.AreEqual(2 * 3 + 4, WeightShapes.Count([[2, 3], [4]]));
        Assert.AreEqual(long.MaxValue, WeightShapes.Count([[1L << 40, 1L << 40]]));
        Assert.AreEqual(long.MaxValue, WeightShapes.Count([[long.MaxValue], [1]]));
    }
}
