using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Tests.Layers.Recurrent;
using static MlNetRnn.Tests.Onnx.OnnxTestSupport;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Onnx;

[TestClass]
public sealed class OnnxRecurrentExportTests
{
    private static readonly int[] Lengths = [1, 7, 40];

    // Embedding(maskZero) → recurrent layer (returnSequences) in one of six arrangements → TimeDistributed(Dense softmax).
    private static Sequential Tagger(string kind, string arrangement, int seed)
    {
        var model = new Sequential(seed: seed);
        model.Add(new Embedding(30, 5, maskZero: true, inputShape: [-1]));
        model.Add(arrangement switch
        {
            "forward" => RecurrentKinds.Make(kind, 6, returnSequences: true),
            "goBackwards" => RecurrentKinds.Make(kind, 6, returnSequences: true, goBackwards: true),
            _ => new Bidirectional(RecurrentKinds.Make(kind, 6, returnSequences: true), mergeMode: arrangement),
        });
        model.Add(new TimeDistributed(new Dense(4, activation: "softmax")));
        Randomize(model, seed + 100);
        return model;
    }

    [TestMethod]
    [DataRow(RecurrentKinds.SimpleRnn)]
    [DataRow(RecurrentKinds.Lstm)]
    [DataRow(RecurrentKinds.Gru)]
    [DataRow(RecurrentKinds.GruResetBefore)]
    public void Recurrent_MixedLengths_MatchNativeAndEachSentenceAlone(string kind)
    {
        foreach (var arrangement in new[] { "forward", "goBackwards", "concat", "sum", "mul", "ave" })
        {
            using var scope = NewDisposeScope();
            using var model = Tagger(kind, arrangement, seed: 7);
            var ids = PaddedIds(Lengths, 30, seed: 11);
            var real = ids.ne(0);
            var native = model.Predict(ids);
            var onnx = Export(model);
            var batched = Run(onnx, (model.Inputs[0].Name, ids)).Values.Single();
            AssertMatches(native, batched, real, $"{kind} {arrangement}, batched");
            var batchedTensor = tensor(batched.Floats!).reshape(batched.Shape);
            for (int row = 0; row < Lengths.Length; row++)
            {
                var sentence = ids[row..(row + 1), ..Lengths[row]];
                var alone = Run(onnx, (model.Inputs[0].Name, sentence)).Values.Single();
                // The sentence alone equals its row of the padded batch. (Not for goBackwards alone: Keras returns
                // its outputs in processing order, padding first, so a padded row's outputs sit further right.)
                if (arrangement != "goBackwards")
                {
                    AssertMatches(batchedTensor[row..(row + 1), ..Lengths[row]], alone, null, $"{kind} {arrangement}, sentence {row} alone vs batched");
                }
                AssertMatches(model.Predict(sentence), alone, null, $"{kind} {arrangement}, sentence {row} alone vs native");
            }
        }
    }

    [TestMethod]
    [DataRow(RecurrentKinds.Lstm)]
    [DataRow(RecurrentKinds.Gru)]
    public void FinalOutputsAndStates_MatchNative(string kind)
    {
        // returnSequences false and returnState: the last output and the states, forwards, backwards and bidirectional.
        using var scope = NewDisposeScope();
        var input = new Input([-1], "ids");
        var vectors = new Embedding(30, 5, maskZero: true).Apply(input)[0];
        var forward = RecurrentKinds.Make(kind, 6, returnState: true).Apply(vectors);
        var backward = RecurrentKinds.Make(kind, 6, returnState: true, goBackwards: true).Apply(vectors);
        var both = new Bidirectional(RecurrentKinds.Make(kind, 6, returnState: true)).Apply(vectors);
        using var model = new Model(input, [.. forward, .. backward, .. both], seed: 5);
        Randomize(model, 6);
        var ids = PaddedIds(Lengths, 30, seed: 12);
        var native = model.PredictOutputs(ids);
        var onnx = Run(Export(model), ("ids", ids)).Values.ToArray();
        Assert.AreEqual(native.Count, onnx.Length);
        for (int i = 0; i < native.Count; i++)
        {
            AssertMatches(native[i], onnx[i], null, $"{kind} output {i}");
        }
    }

    [TestMethod]
    public void BidirectionalWithoutMergeMode_GivesBothHalves()
    {
        using var scope = NewDisposeScope();
        var input = new Input([-1], "ids");
        var vectors = new Embedding(30, 5, maskZero: true).Apply(input)[0];
        var halves = new Bidirectional(new LSTM(6, returnSequences: true), mergeMode: null).Apply(vectors);
        using var model = new Model(input, halves, seed: 5);
        Randomize(model, 8);
        var ids = PaddedIds(Lengths, 30, seed: 13);
        var native = model.PredictOutputs(ids);
        var onnx = Run(Export(model), ("ids", ids));
        CollectionAssert.AreEqual(new[] { "bidirectional", "bidirectional:1" }, onnx.Keys.ToArray());
        // Padding steps are zero in both halves (Keras's zero_output_for_mask), so every position compares.
        AssertMatches(native[0], onnx["bidirectional"], null, "forward half");
        AssertMatches(native[1], onnx["bidirectional:1"], null, "backward half");
    }

    [TestMethod]
    public void UnmaskedFloatInput_RunsWithoutSequenceLengths()
    {
        using var scope = NewDisposeScope();
        var model = new Sequential(seed: 2);
        model.Add(new Bidirectional(new GRU(5, returnSequences: true), inputShape: [-1, 3]));
        model.Add(new LSTM(4, goBackwards: true));
        model.Add(new Dense(2, activation: "softmax"));
        using (model)
        {
            Randomize(model, 3);
            var x = RecurrentKinds.RandomBatch(3, 9, 3, seed: 4);
            AssertMatches(model.Predict(x), Run(Export(model), (model.Inputs[0].Name, x)).Values.Single(), null, "float input");
        }
    }
}
