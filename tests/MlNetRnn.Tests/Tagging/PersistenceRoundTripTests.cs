using System.Reflection;
using MlNetRnn.Models;

namespace MlNetRnn.Tests.Tagging;

/// <summary>Save then Load of a network of every architecture: the same probabilities to the bit, the same bytes
/// when saved again, and every hyper-parameter kept.</summary>
[TestClass]
public sealed class PersistenceRoundTripTests
{
    internal static readonly string[][] Tokens =
    [
        ["John", "reads", "a", "book", "."],
        ["Mary", "writes", "letters"],
        ["The", "cat", "sleeps", "."],
    ];

    internal static readonly string[][] Tags =
    [
        ["PROPN", "VERB", "DET", "NOUN", "PUNCT"],
        ["PROPN", "VERB", "NOUN"],
        ["DET", "NOUN", "VERB", "PUNCT"],
    ];

    // Unseen words, a word seen only in another case, and an empty sentence.
    private static readonly string[][] Queries = [["JOHN", "writes", "a", "letter"], ["Zorblax", "frobs", "."], []];

    /// <summary>Tiny sizes, and every setting away from its default.</summary>
    internal static SequenceTaggerHyperParameters Tiny(CharFeatureKind chars, TaggerCell cell, bool bidirectional) => new()
    {
        Cell = cell,
        Bidirectional = bidirectional,
        Layers = 2,
        EmbeddingSize = 4,
        Units = 3,
        CharFeatures = chars,
        CharEmbeddingSize = 3,
        CharFilters = 5,
        CharKernelSize = 2,
        CharUnits = 2,
        MaxCharsPerToken = 4,
        CharBoundaryMarkers = false,
        Dropout = 0.2,
        Lowercase = true,
        Epochs = 2,
        BatchSize = 2,
        LearningRate = 0.01,
        AdamBeta2 = 0.95,
        EmaMomentum = 0.9,
        LearningRateDecay = 0.9,
        ClipNorm = 1.5,
        Seed = 7,
        VocabularyMinCount = 1,
        RareTokenDropout = 0.1,
        WordDropout = 0.3,
        EarlyStoppingPatience = 2,
    };

    public static IEnumerable<object[]> OptionSets =>
        from chars in Enum.GetValues<CharFeatureKind>()
        from cell in Enum.GetValues<TaggerCell>()
        from bidirectional in new[] { false, true }
        select new object[] { chars, cell, bidirectional };

    internal static byte[] Save(SequenceTaggerNetwork network)
    {
        using var buffer = new MemoryStream();
        network.Save(buffer);
        return buffer.ToArray();
    }

    private static SequenceTaggerNetwork Load(byte[] bytes) => SequenceTaggerNetwork.Load(new MemoryStream(bytes, writable: false));

    [TestMethod]
    [DynamicData(nameof(OptionSets))]
    public void SaveLoad_PredictsIdentically_AndSavesTheSameBytes(CharFeatureKind chars, TaggerCell cell, bool bidirectional)
    {
        using var network = SequenceTaggerNetwork.Train(Tokens, Tags, Tiny(chars, cell, bidirectional));
        var bytes = Save(network);
        using var loaded = Load(bytes);

        var expected = network.Predict(Queries);
        var actual = loaded.Predict(Queries);
        for (int s = 0; s < Queries.Length; s++)
        {
            CollectionAssert.AreEqual(expected[s].Tags, actual[s].Tags, $"sentence {s}");
            CollectionAssert.AreEqual(expected[s].Distribution, actual[s].Distribution, $"sentence {s}: probabilities");
        }
        Assert.HasCount(Queries[0].Length * network.TagNames.Count, actual[0].Distribution);
        CollectionAssert.AreEqual(bytes, Save(loaded), "a loaded network saves the bytes it was read from");
        Assert.AreEqual(network.Model.ToJson(), loaded.Model.ToJson());
        CollectionAssert.AreEqual(network.TagNames.ToArray(), loaded.TagNames.ToArray());
        CollectionAssert.AreEqual(network.Vocabulary.Tokens.ToArray(), loaded.Vocabulary.Tokens.ToArray());
        CollectionAssert.AreEqual(network.CharVocabulary?.Tokens.ToArray(), loaded.CharVocabulary?.Tokens.ToArray());
        Assert.AreEqual(chars != CharFeatureKind.None, loaded.CharVocabulary is not null);
        Assert.IsTrue(loaded.IsKnownWord("JOHN"), "lower-cased as the network looks words up");
        Assert.IsFalse(loaded.IsKnownWord("Zorblax"));
    }

    [TestMethod]
    public void Train_RefusesANetworkTooLargeForAModelFile_BeforeTraining()
    {
        // Two directions of LSTM(1300) over 8-wide embeddings (2 × 4 × 1300 × (8 + 1300 + 1) weights) and the softmax over
        // 5 tags: 13.6 million weights, 54.5 MB, over the 48 MB a model file holds.
        var hp = new SequenceTaggerHyperParameters { Units = 1300, EmbeddingSize = 8, CharFeatures = CharFeatureKind.None, Epochs = 1 };
        var reports = new List<EpochReport>();
        var e = Assert.ThrowsExactly<ArgumentException>(() => SequenceTaggerNetwork.Train(Tokens, Tags, hp, onEpoch: reports.Add));
        Assert.AreEqual(
            "The network would take 54,510,365 bytes in a model file, more than the 50,266,112 a model file holds: " +
            "13,626,709 weights, 104 of them the word embedding (13 words × EmbeddingSize 8). " +
            "Use fewer word vectors, a higher VocabularyMinCount or smaller layers. (Parameter 'hyperParameters')", e.Message);
        Assert.IsEmpty(reports, "refused before the first epoch");
    }

    [TestMethod]
    public void TheLargestStoredNetwork_FitsThePayloadAModelFileReads()
    {
        // base64 (4 characters per 3 bytes) and the header (at most 256 characters) of the largest network Train accepts.
        long largestPayload = (SequenceTaggerNetwork.MaxStoredBytes + 2L) / 3 * 4 + 256;
        Assert.IsLessThanOrEqualTo((long)MlNetRnn.MlNet.TaggerPayload.MaxLength, largestPayload);
    }

    [TestMethod]
    public void EveryHyperParameter_IsStoredAndReadBack()
    {
        var settable = typeof(SequenceTaggerHyperParameters).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true }).ToArray();
        CollectionAssert.AreEquivalent(settable.Select(p => p.Name).ToArray(), SequenceTaggerNetwork.StoredHyperParameters.ToArray());

        var vectors = Path.Combine(Path.GetTempPath(), $"mlnetrnn-vectors-{Guid.NewGuid():N}.vec");
        File.WriteAllLines(vectors, ["2 4", "book 0.1 0.2 0.3 0.4", "dog -1 0 1 2"]);
        try
        {
            var hp = Tiny(CharFeatureKind.Cnn, TaggerCell.Gru, bidirectional: false);
            hp.EmbeddingsFile = vectors;
            hp.VocabularyMinCount = 2;
            using var network = SequenceTaggerNetwork.Train(Tokens, Tags, hp);
            using var loaded = Load(Save(network));
            foreach (var property in settable)
            {
                Assert.AreEqual(property.GetValue(network.HyperParameters), property.GetValue(loaded.HyperParameters), property.Name);
            }
            Assert.AreEqual(vectors, loaded.HyperParameters.EmbeddingsFile);
            Assert.AreEqual(2, loaded.HyperParameters.VocabularyMinCount);
            Assert.IsTrue(loaded.IsKnownWord("dog"), "words of the vectors file extend the vocabulary");
        }
        finally
        {
            File.Delete(vectors);
        }
    }
}
