using MlNetRnn.Models;

namespace MlNetRnn.Tests.Tagging;

[TestClass]
public sealed class SequenceTaggerNetworkTests
{
    private static readonly string[][] Tokens =
    [
        ["the", "dog", "runs"],
        ["a", "cat", "sleeps"],
        ["the", "cat", "runs", "fast"],
        ["a", "dog", "sleeps", "now"],
    ];

    private static readonly string[][] Tags =
    [
        ["DET", "NOUN", "VERB"],
        ["DET", "NOUN", "VERB"],
        ["DET", "NOUN", "VERB", "ADV"],
        ["DET", "NOUN", "VERB", "ADV"],
    ];

    /// <summary>The first tagger's architecture (Embedding → SimpleRNN → TimeDistributed(Dense)), small, the only one
    /// a model file holds today; no early stopping or clipping unless a test turns them on.</summary>
    private static SequenceTaggerHyperParameters Small(int epochs = 60) => new()
    {
        Cell = TaggerCell.Simple, Bidirectional = false, CharFeatures = CharFeatureKind.None, Dropout = 0,
        EmbeddingSize = 8, Units = 16, Epochs = epochs, BatchSize = 2, LearningRate = 0.05, Seed = 3,
        EarlyStoppingPatience = 0, ClipNorm = 0,
    };

    [TestMethod]
    public void Train_LearnsTheToyGrammarAndReportsEachEpoch()
    {
        var reports = new List<EpochReport>();
        using var network = SequenceTaggerNetwork.Train(Tokens, Tags, Small(), Tokens, Tags, reports.Add);
        CollectionAssert.AreEqual(new[] { "ADV", "DET", "NOUN", "VERB" }, network.TagNames.ToArray());
        Assert.HasCount(60, reports);
        Assert.AreEqual(1.0, reports[^1].DevAccuracy);
        Assert.IsLessThan(reports[0].Loss, reports[^1].Loss);
        var result = network.Predict([["the", "dog", "sleeps", "fast"]])[0];
        CollectionAssert.AreEqual(new[] { "DET", "NOUN", "VERB", "ADV" }, result.Tags);
        Assert.HasCount(4, result.Scores);
        Assert.HasCount(4 * 4, result.Distribution);
        for (int t = 0; t < 4; t++)
        {
            var row = result.Distribution.AsSpan(t * 4, 4).ToArray();
            Assert.AreEqual(1.0, row.Sum(), 1e-5, "each token's distribution sums to one");
            Assert.AreEqual(row.Max(), result.Scores[t], "the score is the chosen tag's probability");
        }
    }

    [TestMethod]
    public void Predict_UnseenTokensAndEmptySentences_NeverFail()
    {
        using var network = SequenceTaggerNetwork.Train(Tokens, Tags, Small(epochs: 5));
        var results = network.Predict([["zebra", "xylophone"], [], ["the"]]);
        Assert.HasCount(2, results[0].Tags);
        Assert.IsEmpty(results[1].Tags);
        Assert.IsEmpty(results[1].Distribution);
        Assert.HasCount(1, results[2].Tags);
    }

    [TestMethod]
    public void Predict_IsIndependentOfOtherSentencesInTheCall()
    {
        using var network = SequenceTaggerNetwork.Train(Tokens, Tags, Small(epochs: 5));
        var together = network.Predict(Tokens);
        for (int i = 0; i < Tokens.Length; i++)
        {
            var alone = network.Predict([Tokens[i]])[0];
            CollectionAssert.AreEqual(alone.Tags, together[i].Tags);
            for (int k = 0; k < alone.Distribution.Length; k++)
            {
                Assert.AreEqual(alone.Distribution[k], together[i].Distribution[k], 1e-5);
            }
        }
    }

    [TestMethod]
    public void SaveLoad_RoundTripGivesIdenticalPredictions()
    {
        using var network = SequenceTaggerNetwork.Train(Tokens, Tags, Small(epochs: 5));
        using var stream = new MemoryStream();
        network.Save(stream);
        stream.Position = 0;
        using var loaded = SequenceTaggerNetwork.Load(stream);
        CollectionAssert.AreEqual(network.TagNames.ToArray(), loaded.TagNames.ToArray());
        CollectionAssert.AreEqual(network.Vocabulary.Tokens.ToArray(), loaded.Vocabulary.Tokens.ToArray());
        var before = network.Predict(Tokens);
        var after = loaded.Predict(Tokens);
        for (int i = 0; i < Tokens.Length; i++)
        {
            CollectionAssert.AreEqual(before[i].Distribution, after[i].Distribution);
        }
    }

    [TestMethod]
    public void Load_TruncatedForeignOrNewer_IsInvalidData()
    {
        using var network = SequenceTaggerNetwork.Train(Tokens, Tags, Small(epochs: 1));
        using var stream = new MemoryStream();
        network.Save(stream);
        var bytes = stream.ToArray();

        var e = Assert.ThrowsExactly<InvalidDataException>(() => SequenceTaggerNetwork.Load(new MemoryStream(bytes[..(bytes.Length - 7)])));
        StringAssert.Contains(e.Message, "truncated");
        e = Assert.ThrowsExactly<InvalidDataException>(() => SequenceTaggerNetwork.Load(new MemoryStream("PK\u0003\u0004 not ours"u8.ToArray())));
        StringAssert.Contains(e.Message, "Not an MlNetRnn");
        // The version follows the length-prefixed magic string.
        var newer = (byte[])bytes.Clone();
        int versionOffset = 1 + "MlNetRnn.SequenceTaggerNetwork".Length;
        BitConverter.GetBytes(SequenceTaggerNetwork.FormatVersion + 1).CopyTo(newer, versionOffset);
        e = Assert.ThrowsExactly<InvalidDataException>(() => SequenceTaggerNetwork.Load(new MemoryStream(newer)));
        StringAssert.Contains(e.Message, $"format version {SequenceTaggerNetwork.FormatVersion + 1}");
        StringAssert.Contains(e.Message, "Upgrade");
    }

    [TestMethod]
    public void Train_BadData_NamesTheSentence()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() =>
            SequenceTaggerNetwork.Train([["a", "b"], ["c"]], [["X", "Y"], ["X", "Y"]], Small(1)));
        StringAssert.Contains(e.Message, "Sentence 1 has 1 tokens but 2 tags");
        e = Assert.ThrowsExactly<ArgumentException>(() => SequenceTaggerNetwork.Train([["a"], []], [["X"], []], Small(1)));
        StringAssert.Contains(e.Message, "Sentence 1");
        StringAssert.Contains(e.Message, "empty");
        e = Assert.ThrowsExactly<ArgumentException>(() => SequenceTaggerNetwork.Train([], [], Small(1)));
        StringAssert.Contains(e.Message, "no sentences");
        e = Assert.ThrowsExactly<ArgumentException>(() =>
            SequenceTaggerNetwork.Train(Tokens, Tags, new SequenceTaggerHyperParameters { Units = 0 }));
        StringAssert.Contains(e.Message, "Units must be positive; received 0");
    }

    [TestMethod]
    public void RareTokenDropout_TrainsTheOutOfVocabularyEmbedding()
    {
        // Every noun occurs once; with dropout the OOV id sees noun contexts, so an unseen word after
        // "the" is tagged NOUN.
        string[][] tokens = [["the", "apple", "falls"], ["the", "river", "falls"], ["the", "stone", "falls"], ["the", "leaf", "falls"]];
        string[][] tags = [.. tokens.Select(_ => new[] { "DET", "NOUN", "VERB" })];
        var hp = Small(epochs: 80);
        hp.RareTokenDropout = 0.5;
        using var network = SequenceTaggerNetwork.Train(tokens, tags, hp);
        CollectionAssert.AreEqual(new[] { "DET", "NOUN", "VERB" }, network.Predict([["the", "planet", "falls"]])[0].Tags);
    }

    [TestMethod]
    public void EarlyStopping_StopsAfterPatienceAndKeepsTheBestEpoch()
    {
        // Dev data the grammar contradicts: accuracy can only get worse once the model learns the training
        // data, so the best epoch is early and training stops `patience` epochs after it.
        string[][] devTags = [.. Tags.Select(s => s.Select(_ => "DET").ToArray())];
        var hp = Small(epochs: 60);
        hp.EarlyStoppingPatience = 3;
        var reports = new List<EpochReport>();
        using var network = SequenceTaggerNetwork.Train(Tokens, Tags, hp, Tokens, devTags, reports.Add);
        var best = reports.MaxBy(r => r.DevAccuracy!.Value)!;
        Assert.AreEqual(best.Epoch + 3, reports[^1].Epoch, "stops three epochs after the best");
        Assert.IsLessThan(60, reports.Count);
        var predicted = network.Predict(Tokens);
        double accuracy = predicted.SelectMany(p => p.Tags).Count(t => t == "DET") / (double)Tokens.Sum(t => t.Length);
        Assert.AreEqual(best.DevAccuracy!.Value, accuracy, 1e-12, "the best epoch's weights are kept");
    }

    [TestMethod]
    public void Train_Cancelled_ThrowsAfterTheEpochThatCancelled()
    {
        using var cancel = new CancellationTokenSource();
        var reports = new List<EpochReport>();
        Assert.ThrowsExactly<OperationCanceledException>(() => SequenceTaggerNetwork.Train(Tokens, Tags, Small(epochs: 10), onEpoch: r =>
        {
            reports.Add(r);
            if (r.Epoch == 2) cancel.Cancel();
        }, cancellationToken: cancel.Token));
        Assert.HasCount(2, reports);
    }

    [TestMethod]
    public void Train_LeavesTheNetworkFrozenForInference()
    {
        using var network = SequenceTaggerNetwork.Train(Tokens, Tags, Small(epochs: 2));
        Assert.IsFalse(network.Model.training, "inference mode, set once");
        Assert.IsFalse(network.Model.Optimizer!.Built, "the optimizer's state is dropped");
        var first = network.Predict(Tokens);
        Assert.IsFalse(network.Model.training);
        CollectionAssert.AreEqual(first[2].Distribution, network.Predict(Tokens)[2].Distribution);
    }
}
