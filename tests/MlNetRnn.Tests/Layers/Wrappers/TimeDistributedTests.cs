using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Tests.Numerics;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers.Wrappers;

[TestClass]
public sealed class TimeDistributedTests
{
    // Characters of two sentences, (batch 2, words 3, chars 4); 0 is padding. Sentence 2 has two words, so its third
    // word is all padding.
    private static Tensor CharIds() => tensor(new long[]
    {
        3, 1, 0, 0,   2, 2, 2, 0,   4, 0, 0, 0,
        1, 2, 3, 4,   5, 0, 0, 0,   0, 0, 0, 0,
    }).reshape(2, 3, 4);

    [TestMethod]
    public void WordMask_PassesThroughAnInnerDense()
    {
        using var scope = NewDisposeScope();
        var input = new Input([-1], "words");
        var embedded = new Embedding(6, 4, maskZero: true).Apply(input)[0];
        using var model = new Model(input, new TimeDistributed(new Dense(2)).Apply(embedded));
        var ids = tensor(new long[] { 1, 2, 0, 3, 0, 0 }).reshape(2, 3);
        var (_, mask) = model.Forward(model.PrepareInputs([ids]));
        Assert.IsNotNull(mask);
        CollectionAssert.AreEqual(new[] { true, true, false, true, false, false }, mask.data<bool>().ToArray());
    }

    [TestMethod]
    public void CharEncoder_EmbeddingConvPooling_IgnoresPaddingCharacters()
    {
        using var scope = NewDisposeScope();
        var input = new Input([-1, -1], "chars");
        var embedded = new TimeDistributed(new Embedding(6, 3, maskZero: true)).Apply(input)[0];
        var convolved = new TimeDistributed(new Conv1D(4, 3, padding: "same", activation: "tanh")).Apply(embedded)[0];
        var words = new TimeDistributed(new GlobalMaxPooling1D()).Apply(convolved)[0];
        using var model = new Model(input, [words], seed: 5);
        CollectionAssert.AreEqual(new long[] { -1, 4 }, model.OutputShapes[0]);

        var ids = CharIds();
        var (outputs, mask) = model.Forward(model.PrepareInputs([ids]));
        CollectionAssert.AreEqual(new long[] { 2, 3, 4 }, outputs[0].shape);
        CollectionAssert.AreEqual(new[] { true, true, true, true, true, false }, mask!.data<bool>().ToArray(), "a word is real when it has a character");
        Assert.IsTrue(outputs[0][1, 2].eq(0).all().item<bool>(), "an all-padding word pools to 0");

        // Each word encoded alone, without padding, gives the same vector.
        var alone = model.Predict(tensor(new long[] { 2, 2, 2 }).reshape(1, 1, 3));
        Assert.IsTrue(outputs[0][0, 1].allclose(alone[0, 0], rtol: 0, atol: 1e-6));
        var longer = model.Predict(tensor(new long[] { 3, 1, 0, 0, 0, 0, 0 }).reshape(1, 1, 7));
        Assert.IsTrue(outputs[0][0, 0].allclose(longer[0, 0], rtol: 0, atol: 1e-6));
    }

    [TestMethod]
    public void RecurrentInnerLayer_ReadsEachWordsCharacters()
    {
        using var scope = NewDisposeScope();
        var input = new Input([-1, -1]);
        var embedded = new TimeDistributed(new Embedding(6, 3, maskZero: true)).Apply(input)[0];
        var words = new TimeDistributed(new SimpleRNN(4)).Apply(embedded)[0];
        using var model = new Model(input, [words], seed: 2);
        var (outputs, mask) = model.Forward(model.PrepareInputs([CharIds()]));
        CollectionAssert.AreEqual(new long[] { 2, 3, 4 }, outputs[0].shape);
        CollectionAssert.AreEqual(new[] { true, true, true, true, true, false }, mask!.data<bool>().ToArray());
        Assert.IsTrue(outputs[0][1, 2].eq(0).all().item<bool>(), "an all-padding word keeps the zero initial state");
        var alone = model.Predict(tensor(new long[] { 3, 1 }).reshape(1, 1, 2));
        Assert.IsTrue(outputs[0][0, 0].allclose(alone[0, 0], rtol: 0, atol: 1e-6), "the RNN stops at the word's last character");
    }

    [TestMethod]
    public void RandomSource_ReachesTheWrappedLayer()
    {
        var dropout = new Dropout(0.5);
        var wrapper = new TimeDistributed(dropout);
        var input = new Input([3, 2]);
        using var model = new Model(input, wrapper.Apply(input), seed: 1);
        Assert.IsNotNull(wrapper.RandomSource);
        Assert.AreSame(wrapper.RandomSource, dropout.RandomSource);
    }

    [TestMethod]
    public void Gradients_MatchFiniteDifferences() => Float64.Run(() =>
    {
        using var g = new Generator(4);
        var wrapper = new TimeDistributed(new Conv1D(2, 2, padding: "same", biasInitializer: "uniform"));
        wrapper.Build([3, 4, 2], g);
        var mask = tensor(new[] { true, true, true, false, true, false, false, false, true, true, true, true }).reshape(1, 3, 4);
        int checkedCount = LayerChecks.AssertGradientsMatch(wrapper, [randn([1, 3, 4, 2], generator: g)], [mask]);
        Assert.AreEqual(2 * 2 * 2 + 2 + 3 * 4 * 2, checkedCount);
    });

    [TestMethod]
    public void Config_RoundTripsTheWrappedLayer()
    {
        var wrapper = new TimeDistributed(new Conv1D(8, 3, padding: "same"), inputShape: [-1, -1, 5]);
        var rebuilt = (TimeDistributed)LayerChecks.AssertConfigRoundTrip(wrapper);
        Assert.AreEqual(8, ((Conv1D)rebuilt.Layer).Filters);
    }
}
