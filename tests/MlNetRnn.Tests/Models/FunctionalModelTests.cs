using MlNetRnn.Layers;
using MlNetRnn.Models;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Models;

[TestClass]
public sealed class FunctionalModelTests
{
    // words (batch, time) ids → Embedding(maskZero); chars (batch, time, chars) ids → char encoder; joined per word.
    private static Model WordsAndChars(int seed, out Input words, out Input chars)
    {
        words = new Input([-1], "words");
        chars = new Input([-1, -1], "chars");
        var wordVectors = new Embedding(10, 4, maskZero: true).Apply(words)[0];
        var charVectors = new TimeDistributed(new Embedding(8, 3, maskZero: true)).Apply(chars)[0];
        var charWords = new TimeDistributed(new GlobalMaxPooling1D()).Apply(
            new TimeDistributed(new Conv1D(5, 3, padding: "same", activation: "relu")).Apply(charVectors)[0])[0];
        var joined = new Concatenate().Apply(wordVectors, charWords)[0];
        var tags = new TimeDistributed(new Dense(3, activation: "softmax")).Apply(joined);
        return new Model(new[] { words, chars }, tags, seed: seed);
    }

    private static Tensor WordIds() => tensor(new long[] { 4, 7, 2, 5, 9, 0 }).reshape(2, 3);

    private static Tensor CharIds() => tensor(new long[]
    {
        1, 2, 0,   3, 0, 0,   4, 5, 6,
        7, 7, 0,   1, 0, 0,   0, 0, 0,
    }).reshape(2, 3, 3);

    [TestMethod]
    public void WordsAndChars_PredictTakesOneTensorPerInput()
    {
        using var scope = NewDisposeScope();
        using var model = WordsAndChars(seed: 3, out _, out _);
        CollectionAssert.AreEqual(new[] { "words", "chars" }, model.Inputs.Select(i => i.Name).ToArray());
        var probabilities = model.Predict([WordIds(), CharIds()], batchSize: 1);
        CollectionAssert.AreEqual(new long[] { 2, 3, 3 }, probabilities.shape);
        Assert.IsTrue(probabilities.sum(-1).allclose(ones(2, 3), rtol: 0, atol: 1e-6));
        // The graph's mask: a step is real when the word is (AND the char encoder's "has a character").
        var (_, mask) = model.Forward(model.PrepareInputs([WordIds(), CharIds()]));
        CollectionAssert.AreEqual(new[] { true, true, true, true, true, false }, mask!.data<bool>().ToArray());
        // Sentence 1 alone, its characters padded further, gives the same probabilities.
        var morePadding = cat([CharIds()[..1], zeros(1, 3, 4, dtype: ScalarType.Int64)], 2);
        var alone = model.Predict([WordIds()[..1], morePadding]);
        Assert.IsTrue(alone.allclose(probabilities[..1], rtol: 0, atol: 1e-6));
    }

    [TestMethod]
    public void WordsAndChars_GradientsReachBothBranches()
    {
        using var scope = NewDisposeScope();
        using var model = WordsAndChars(seed: 3, out _, out _);
        model.Compile(loss: "sparse_categorical_crossentropy", optimizer: "adam");
        var y = tensor(new long[] { 0, 1, 2, 0, 1, 0 }).reshape(2, 3);
        var (outputs, mask) = model.Forward(model.PrepareInputs([WordIds(), CharIds()]));
        model.Loss!.Compute(y, outputs[0], mask).backward();
        var withoutGradient = model.NamedWeights
            .Where(w => w.Weight.Variable.grad is not { } g || g.abs().sum().item<float>() == 0)
            .Select(w => w.Path).ToArray();
        CollectionAssert.AreEqual(Array.Empty<string>(), withoutGradient);
        Assert.AreEqual(6, model.NamedWeights.Count(), "2 embeddings, conv kernel and bias, dense kernel and bias");
    }

    [TestMethod]
    public void Inputs_AreCheckedByCountShapeAndSamples()
    {
        using var scope = NewDisposeScope();
        using var model = WordsAndChars(seed: 1, out _, out _);
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.Predict(WordIds()));
        StringAssert.Contains(e.Message, "expects 2 input(s) (words (None, None), chars (None, None, None)); received 1");
        e = Assert.ThrowsExactly<ArgumentException>(() => model.Predict([WordIds(), WordIds()]));
        StringAssert.Contains(e.Message, "for input 'chars' shape (None, None, None); received (2, 3)");
        e = Assert.ThrowsExactly<ArgumentException>(() => model.Predict([WordIds()[..1], CharIds()]));
        StringAssert.Contains(e.Message, "same number of samples");
    }

    [TestMethod]
    public void Outputs_MustComeFromTheInputs()
    {
        var a = new Input([3]);
        var b = new Input([3]);
        var joined = new Concatenate().Apply(a, b);
        var e = Assert.ThrowsExactly<ArgumentException>(() => new Model(a, joined));
        StringAssert.Contains(e.Message, "not among the model's inputs");
        Assert.ThrowsExactly<ArgumentException>(() => new Model(new[] { a, a }, joined));
    }

    [TestMethod]
    public void IntegerIdsStayInteger_AndFloatsTakeTheWeightsDtype()
    {
        using var scope = NewDisposeScope();
        var ids = new Input([2]);
        var values = new Input([2, 1]);
        var joined = new Concatenate().Apply(new Embedding(5, 2).Apply(ids)[0], values)[0];
        using var model = new Model(new[] { ids, values }, new Dense(1).Apply(joined));
        var prepared = model.PrepareInputs([tensor(new long[] { 1, 2 }).reshape(1, 2), zeros(1, 2, 1, dtype: ScalarType.Float64)]);
        Assert.AreEqual(ScalarType.Int64, prepared[0].dtype);
        Assert.AreEqual(ScalarType.Float32, prepared[1].dtype);
        CollectionAssert.AreEqual(new long[] { 1, 2, 1 }, model.Predict(prepared).shape);
    }

    [TestMethod]
    public void Summary_ListsEveryInputAndWhereEachLayerReadsFrom()
    {
        using var scope = NewDisposeScope();
        var a = new Input([3]);
        var b = new Input([2]);
        var dense = new Dense(4);
        var joined = new Concatenate().Apply(dense.Apply(a)[0], b)[0];
        using var model = new Model(new[] { a, b }, new Dense(1).Apply(joined));
        var summary = model.Summary();
        StringAssert.Contains(summary, "Connected to");
        StringAssert.Matches(summary, new System.Text.RegularExpressions.Regex(@"input_layer \(InputLayer\)\s+│ \(None, 3\)\s+│\s+0 │ -"));
        StringAssert.Matches(summary, new System.Text.RegularExpressions.Regex(@"input_layer_1 \(InputLayer\)\s+│ \(None, 2\)"));
        StringAssert.Matches(summary, new System.Text.RegularExpressions.Regex(@"concatenate \(Concatenate\)\s+│ \(None, 6\)\s+│\s+0 │ dense\[0\]\[0\],\s+│\n│\s+│\s+│\s+│ input_layer_1\[0\]\[0\]"));
        StringAssert.Contains(summary, "Total params: 23 (92.00 B)");
    }
}
