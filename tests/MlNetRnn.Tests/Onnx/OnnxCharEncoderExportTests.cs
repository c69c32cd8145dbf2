using MlNetRnn.Layers;
using MlNetRnn.Models;
using static MlNetRnn.Tests.Onnx.OnnxTestSupport;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Onnx;

[TestClass]
public sealed class OnnxCharEncoderExportTests
{
    private static readonly int[] Lengths = [1, 7, 40];
    private const int CharVocabulary = 12;
    private const int MaxChars = 6;

    /// <summary>Words (batch, time) and characters (batch, time, chars) → BiLSTM tagger; the character branch is a
    /// CNN (Embedding → Conv1D same → GlobalMaxPooling1D) or a BiLSTM, each under TimeDistributed.</summary>
    internal static Model WordsAndChars(string encoder, int seed)
    {
        var words = new Input([-1], "words");
        var chars = new Input([-1, MaxChars], "chars");
        var wordVectors = new Embedding(30, 5, maskZero: true).Apply(words)[0];
        var charVectors = new TimeDistributed(new Embedding(CharVocabulary, 4, maskZero: true)).Apply(chars)[0];
        var charWords = encoder == "cnn"
            ? new TimeDistributed(new GlobalMaxPooling1D()).Apply(
                new TimeDistributed(new Conv1D(6, 3, padding: "same", activation: "tanh")).Apply(charVectors)[0])[0]
            : new TimeDistributed(new Bidirectional(new LSTM(3))).Apply(charVectors)[0];
        var joined = new Concatenate().Apply(wordVectors, charWords)[0];
        var sequence = new Bidirectional(new LSTM(6, returnSequences: true)).Apply(joined)[0];
        var tags = new TimeDistributed(new Dense(4, activation: "softmax")).Apply(sequence);
        var model = new Model([words, chars], tags, seed: seed);
        Randomize(model, seed + 1);
        return model;
    }

    /// <summary>Character ids for word ids: 1 to <see cref="MaxChars"/> characters per real word, none for padding words.</summary>
    internal static Tensor CharIdsFor(Tensor wordIds, int seed)
    {
        using var generator = new Generator((ulong)seed);
        var ids = randint(1, CharVocabulary, [.. wordIds.shape, MaxChars], dtype: ScalarType.Int64, generator: generator);
        var lengths = randint(1, MaxChars + 1, wordIds.shape, dtype: ScalarType.Int64, generator: generator).masked_fill(wordIds.eq(0), 0);
        return ids.masked_fill(arange(MaxChars).reshape(1, 1, -1) >= lengths.unsqueeze(-1), 0);
    }

    [TestMethod]
    [DataRow("cnn")]
    [DataRow("bilstm")]
    public void CharEncoder_MixedLengths_MatchNativeAndEachSentenceAlone(string encoder)
    {
        using var scope = NewDisposeScope();
        using var model = WordsAndChars(encoder, seed: 21);
        var words = PaddedIds(Lengths, 30, seed: 22);
        var chars = CharIdsFor(words, seed: 23);
        var real = words.ne(0);
        var onnx = Export(model);
        var batched = Run(onnx, ("words", words), ("chars", chars)).Values.Single();
        AssertMatches(model.Predict([words, chars]), batched, real, $"{encoder} batched");
        var batchedTensor = tensor(batched.Floats!).reshape(batched.Shape);
        for (int row = 0; row < Lengths.Length; row++)
        {
            var w = words[row..(row + 1), ..Lengths[row]];
            var c = chars[row..(row + 1), ..Lengths[row]];
            var alone = Run(onnx, ("words", w), ("chars", c)).Values.Single();
            AssertMatches(batchedTensor[row..(row + 1), ..Lengths[row]], alone, null, $"{encoder} sentence {row} alone vs batched");
            AssertMatches(model.Predict([w, c]), alone, null, $"{encoder} sentence {row} alone vs native");
        }
    }
}
