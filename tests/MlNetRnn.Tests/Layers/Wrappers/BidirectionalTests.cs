using System.Text.Json.Nodes;
using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Tests.Layers.Recurrent;
using TorchSharp;
using static MlNetRnn.Tests.Layers.Recurrent.RecurrentKinds;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers.Wrappers;

[TestClass]
public sealed class BidirectionalTests
{
    [TestMethod]
    public void WeightPaths_NameEachHalf_AsKerasDoes()
    {
        using var model = new Sequential();
        model.Add(new Bidirectional(new LSTM(2, returnSequences: true), inputShape: [4, 3]));
        CollectionAssert.AreEqual(
            new[]
            {
                "bidirectional/forward_lstm/kernel", "bidirectional/forward_lstm/recurrent_kernel", "bidirectional/forward_lstm/bias",
                "bidirectional/backward_lstm/kernel", "bidirectional/backward_lstm/recurrent_kernel", "bidirectional/backward_lstm/bias",
            },
            model.NamedWeights.Select(w => w.Path).ToArray());
    }

    [TestMethod]
    [DataRow("concat")]
    [DataRow("sum")]
    [DataRow("mul")]
    [DataRow("ave")]
    [DataRow(null)]
    public void MergeModes_MatchKerasOnARightPaddedBatch(string? mergeMode)
    {
        using var scope = NewDisposeScope();
        var wrapper = new Bidirectional(new LSTM(4, biasInitializer: "uniform", returnSequences: true), mergeMode);
        using var model = Functional(wrapper, 5, 3);
        var weights = model.GetWeights();
        var x = RandomBatch(3, 5, 3, 31);
        var mask = RightPadded(5, 5, 3, 0);
        using var noGrad = no_grad();
        var actual = wrapper.Call(x, mask);
        var (forward, _) = KerasReference.Run(KerasReference.Lstm(weights[0], weights[1], weights[2]), x, mask, 4, 2, zeroOutputForMask: true);
        var (backward, _) = KerasReference.Run(KerasReference.Lstm(weights[3], weights[4], weights[5]), x, mask, 4, 2,
            goBackwards: true, zeroOutputForMask: true);
        backward = backward.flip(1);
        Tensor[] expected = mergeMode switch
        {
            "concat" => [cat([forward, backward], -1)],
            "sum" => [forward + backward],
            "mul" => [forward * backward],
            "ave" => [(forward + backward) / 2],
            _ => [forward, backward],
        };
        Assert.HasCount(expected.Length, actual);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.IsTrue(actual[i].allclose(expected[i], rtol: 0, atol: 1e-6), $"output {i}");
        }
        Assert.AreEqual(0.0, actual[0][1, 3..].abs().sum().item<float>(), "padding steps output zeros in both halves");
    }

    [TestMethod]
    [DataRow(Lstm)]
    [DataRow(Gru)]
    [DataRow(SimpleRnn)]
    public void RightPaddedBatch_EqualsEachRowAlone(string kind)
    {
        using var scope = NewDisposeScope();
        var sequences = new Bidirectional(Make(kind, 3, returnSequences: true));
        var finals = new Bidirectional(Make(kind, 3, returnState: true));
        using var sequenceModel = Functional(sequences, -1, 2);
        using var finalModel = Functional(finals, -1, 2);
        var x = RandomBatch(3, 6, 2, 32);
        long[] lengths = [6, 2, 4];
        using var noGrad = no_grad();
        var batchSequences = sequences.Call(x, RightPadded(6, lengths))[0];
        var batchFinals = finals.Call(x, RightPadded(6, lengths));
        for (int row = 0; row < 3; row++)
        {
            var alone = x[row..(row + 1), ..(int)lengths[row]];
            Assert.IsTrue(batchSequences[row, ..(int)lengths[row]].allclose(sequences.Call(alone)[0][0], rtol: 0, atol: 1e-6), $"row {row} sequence");
            var aloneFinals = finals.Call(alone);
            for (int i = 0; i < aloneFinals.Count; i++)
            {
                Assert.IsTrue(batchFinals[i][row].allclose(aloneFinals[i][0], rtol: 0, atol: 1e-6), $"row {row} output {i}");
            }
        }
    }

    [TestMethod]
    public void ReturnState_FollowsWithForwardThenBackwardStates()
    {
        using var scope = NewDisposeScope();
        var wrapper = new Bidirectional(new LSTM(4, returnState: true), mergeMode: null);
        using var model = Functional(wrapper, 5, 3);
        Assert.AreEqual(6, wrapper.OutputCount);
        var outputs = model.PredictOutputs(RandomBatch(2, 5, 3, 33));
        Assert.HasCount(6, outputs);
        Assert.IsTrue(outputs[2].allclose(outputs[0], rtol: 0, atol: 0), "forward h is the forward output");
        Assert.IsTrue(outputs[4].allclose(outputs[1], rtol: 0, atol: 0), "backward h is the backward output");
        CollectionAssert.AreEqual(new long[] { 4 }, model.OutputShapes[5]);

        using var concat = Functional(new Bidirectional(new GRU(4, returnSequences: true, returnState: true)), 5, 3);
        CollectionAssert.AreEqual(new[] { "5×8", "4", "4" }, concat.OutputShapes.Select(s => string.Join("×", s)).ToArray());
    }

    [TestMethod]
    public void Weights_AreTheForwardLayersThenTheBackwardLayers()
    {
        using var scope = NewDisposeScope();
        var wrapper = new Bidirectional(new GRU(2, name: "gru_words"));
        using var model = Functional(wrapper, 4, 3);
        Assert.AreEqual("forward_gru_words", wrapper.ForwardLayer.Name);
        Assert.AreEqual("backward_gru_words", wrapper.BackwardLayer.Name);
        Assert.IsTrue(wrapper.BackwardLayer.GoBackwards);
        Assert.HasCount(6, wrapper.Weights);
        var weights = model.GetWeights();
        Assert.IsTrue(weights[3].allclose(wrapper.BackwardLayer.Weights[0].Read(), rtol: 0, atol: 0));
        Assert.AreEqual(2 * (3 * 6 + 2 * 6 + 2 * 6), model.CountParams());
    }

    [TestMethod]
    public void Config_RoundTrips()
    {
        var wrapper = new Bidirectional(new LSTM(3, returnSequences: true, dropout: 0.25), mergeMode: null, inputShape: [4, 2], name: "encoder");
        var config = wrapper.GetConfig();
        Assert.IsNull(config["merge_mode"]);
        Assert.IsTrue(config.ContainsKey("merge_mode"));
        Assert.AreEqual("LSTM", (string)config["layer"]!["class_name"]!);
        Assert.AreEqual("forward_lstm", (string)config["layer"]!["config"]!["name"]!);
        Assert.IsTrue((bool)config["backward_layer"]!["config"]!["go_backwards"]!);

        static Layer FromJson(JsonObject o) => (string)o["class_name"]! switch
        {
            "LSTM" => LSTM.FromConfig(new LayerConfig("LSTM", (JsonObject)o["config"]!)),
            var other => throw new InvalidDataException(other),
        };
        var rebuilt = Bidirectional.FromConfig(new LayerConfig("Bidirectional", JsonNode.Parse(config.ToJsonString())!.AsObject()), FromJson);
        Assert.AreEqual(config.ToJsonString(), rebuilt.GetConfig().ToJsonString());
        Assert.IsNull(rebuilt.MergeMode);
        Assert.AreEqual("forward_lstm", rebuilt.ForwardLayer.Name);
    }

    [TestMethod]
    public void BadArguments_AreRejectedWithWhatWasReceived()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new Bidirectional(new LSTM(2), mergeMode: "max"));
        Assert.AreEqual("Invalid merge mode. Received: 'max'. Merge mode should be one of concat, sum, mul, ave, or null. (Parameter 'mergeMode')", e.Message);
        e = Assert.ThrowsExactly<ArgumentException>(() => new Bidirectional(new Dense(2)));
        StringAssert.Contains(e.Message, "recurrent layer");
        StringAssert.Contains(e.Message, "(Dense)");
        e = Assert.ThrowsExactly<ArgumentException>(() => new Bidirectional(new LSTM(2), backwardLayer: new LSTM(2)));
        StringAssert.Contains(e.Message, "different goBackwards");
        e = Assert.ThrowsExactly<ArgumentException>(() => new Bidirectional(new LSTM(2), backwardLayer: new LSTM(2, goBackwards: true, returnSequences: true)));
        StringAssert.Contains(e.Message, "(False, False) and (True, False)");
    }

    [TestMethod]
    public void RandomSource_ReachesBothHalves_AndTrainModeReachesThem()
    {
        using var scope = NewDisposeScope();
        var wrapper = new Bidirectional(new LSTM(2, dropout: 0.5));
        using var model = Functional(wrapper, 3, 2);
        using var generator = new Generator(3);
        wrapper.SetRandomSource(generator);
        Assert.AreSame(generator, wrapper.ForwardLayer.RandomSource);
        Assert.AreSame(generator, wrapper.BackwardLayer.RandomSource);
        model.train(true);
        Assert.IsTrue(wrapper.BackwardLayer.Cell.training);
        model.train(false);
        Assert.IsFalse(wrapper.ForwardLayer.training);
    }

    // The harness's model: Embedding(maskZero) → Bidirectional(LSTM) → TimeDistributed(Dense(softmax)) on right-padded
    // ids; probabilities against Keras's equations, then Adam training through Fit.
    [TestMethod]
    public void EmbeddingBidirectionalLstmTagger_MatchesKeras_AndTrains()
    {
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 1, 2, 3, 4, 5, 6, 3, 1, 0, 0, 0, 0, 4, 4, 2, 0, 0, 0, 5, 1, 6, 2, 3, 0 }).reshape(4, 6);
        var tags = tensor(new long[] { 0, 1, 2, 0, 1, 2, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 2, 1, 2, 0 }).reshape(4, 6);
        using var model = new Sequential(seed: 11);
        model.Add(new Embedding(7, 5, maskZero: true, inputShape: [6]));
        model.Add(new Bidirectional(new LSTM(5, returnSequences: true), mergeMode: "concat"));
        model.Add(new TimeDistributed(new Dense(3, activation: "softmax")));
        model.Compile("sparse_categorical_crossentropy", "adam");
        var w = model.GetWeights();
        var probabilities = model.Predict(ids);

        var mask = ids.ne(0);
        var vectors = w[0].index_select(0, ids.flatten()).reshape(4, 6, 5);
        var (forward, _) = KerasReference.Run(KerasReference.Lstm(w[1], w[2], w[3]), vectors, mask, 5, 2, zeroOutputForMask: true);
        var (backward, _) = KerasReference.Run(KerasReference.Lstm(w[4], w[5], w[6]), vectors, mask, 5, 2, goBackwards: true, zeroOutputForMask: true);
        var expected = (cat([forward, backward.flip(1)], -1).matmul(w[7]) + w[8]).softmax(-1);
        Assert.IsTrue(probabilities.allclose(expected, rtol: 0, atol: 1e-6), "probabilities");

        var history = model.Fit(ids, tags, epochs: 40, batchSize: 4, verbose: 0);
        Assert.HasCount(40, history.Loss);
        Console.WriteLine($"loss {history.Loss[0]:F6} → {history.Loss[^1]:F6}");
        Assert.IsLessThan(history.Loss[0] - 0.01, history.Loss[^1], "training lowers the loss");
    }
}
