using MlNetRnn.Models;
using MlNetRnn.Tagging;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Tagging;

/// <summary>The one-sentence path of <see cref="SequenceTaggerNetwork.Predict"/> (no batch object, no mask for a chain
/// of layers, one thread) gives exactly the numbers of the model's own masked forward pass, and the tags of a padded
/// batch.</summary>
[TestClass]
public sealed class SentencePredictionTests
{
    private static readonly string[][] Tokens =
    [
        ["the", "dog", "runs"],
        ["a", "cat", "sleeps"],
        ["the", "cat", "runs", "fast"],
    ];

    private static readonly string[][] Tags =
    [
        ["DET", "NOUN", "VERB"],
        ["DET", "NOUN", "VERB"],
        ["DET", "NOUN", "VERB", "ADV"],
    ];

    [TestMethod]
    [DataRow(CharFeatureKind.None, TaggerCell.Simple, false)]
    [DataRow(CharFeatureKind.None, TaggerCell.Lstm, true)]
    [DataRow(CharFeatureKind.Cnn, TaggerCell.Lstm, true)]
    public void OneSentence_EqualsTheModelsMaskedForward_BitForBit(CharFeatureKind chars, TaggerCell cell, bool bidirectional)
    {
        using var network = SequenceTaggerNetwork.Train(Tokens, Tags, new SequenceTaggerHyperParameters
        {
            Cell = cell, Bidirectional = bidirectional, CharFeatures = chars, EmbeddingSize = 8, Units = 8,
            CharEmbeddingSize = 4, CharFilters = 4, Epochs = 2, BatchSize = 2, Seed = 5, EarlyStoppingPatience = 0,
        });
        string[] sentence = ["The", "unseen", "dog", "sleeps", "now"];
        var tagged = network.Predict([sentence])[0];

        using var scope = NewDisposeScope();
        var words = tensor(sentence.Select(t => (long)network.Vocabulary.IdOf(t.ToLowerInvariant())).ToArray(), [1, sentence.Length]);
        Tensor[] inputs = [words];
        if (network.CharVocabulary is { } charVocabulary)
        {
            // The default encoder: each token's characters between the begin- and end-of-word markers.
            Assert.IsTrue(network.HyperParameters.CharBoundaryMarkers);
            var tokenIds = sentence.Select(t => (long[])[TokenEncoder.BeginOfWordId(charVocabulary),
                .. t.Select(c => (long)charVocabulary.IdOf(c.ToString())), TokenEncoder.EndOfWordId(charVocabulary)]).ToArray();
            int width = tokenIds.Max(t => t.Length);
            var ids = new long[sentence.Length * width];
            for (int t = 0; t < sentence.Length; t++) tokenIds[t].CopyTo(ids, t * width);
            inputs = [words, tensor(ids, [1, sentence.Length, width])];
        }
        var expected = network.Model.PredictOutputs(inputs)[0].data<float>().ToArray();

        Assert.HasCount(sentence.Length * network.TagNames.Count, tagged.Distribution);
        CollectionAssert.AreEqual(expected.Select(BitConverter.SingleToInt32Bits).ToArray(),
            tagged.Distribution.Select(BitConverter.SingleToInt32Bits).ToArray());
        for (int t = 0; t < sentence.Length; t++)
        {
            var row = expected.AsSpan(t * network.TagNames.Count, network.TagNames.Count).ToArray();
            int best = Array.IndexOf(row, row.Max());
            Assert.AreEqual(network.TagNames[best], tagged.Tags[t]);
            Assert.AreEqual(row[best], tagged.Scores[t]);
        }
    }

    // The W3 serving path (layers called in a chain without a mask, TimeDistributed(Dense) on the last axis) tags as
    // the batched, padded path does: same tags, probabilities within 1e-6.
    [TestMethod]
    [DataRow(TaggerCell.Simple, false)]
    [DataRow(TaggerCell.Gru, true)]
    public void OneSentence_TagsAsInAPaddedBatch(TaggerCell cell, bool bidirectional)
    {
        using var network = SequenceTaggerNetwork.Train(Tokens, Tags, new SequenceTaggerHyperParameters
        {
            Cell = cell, Bidirectional = bidirectional, CharFeatures = CharFeatureKind.None, EmbeddingSize = 8, Units = 8,
            Dropout = 0, Epochs = 3, BatchSize = 2, Seed = 7, EarlyStoppingPatience = 0,
        });
        string[] sentence = ["the", "dog", "sleeps", "fast", "now"];
        var alone = network.Predict([sentence])[0];
        // Longer and shorter sentences around it: the batch is padded and masked.
        var batched = network.Predict([["a", "cat"], sentence, ["the", "cat", "runs", "fast", "a", "dog", "sleeps"]])[1];

        Assert.HasCount(sentence.Length * network.TagNames.Count, alone.Distribution);
        CollectionAssert.AreEqual(batched.Tags, alone.Tags);
        Assert.HasCount(batched.Distribution.Length, alone.Distribution);
        for (int i = 0; i < alone.Distribution.Length; i++)
        {
            Assert.AreEqual(batched.Distribution[i], alone.Distribution[i], 1e-6, $"probability {i}");
        }
        for (int t = 0; t < sentence.Length; t++)
        {
            Assert.AreEqual(batched.Scores[t], alone.Scores[t], 1e-6, $"score {t}");
        }
    }
}
