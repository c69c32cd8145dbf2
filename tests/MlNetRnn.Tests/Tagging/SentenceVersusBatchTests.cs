using MlNetRnn.Models;

namespace MlNetRnn.Tests.Tagging;

/// <summary>The W3 serving path (one sentence: layers called in a chain without mask, TimeDistributed(Dense) on the
/// last axis) tags as the batched, padded path does: same tags, probabilities within 1e-6.</summary>
[TestClass]
public sealed class SentenceVersusBatchTests
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
