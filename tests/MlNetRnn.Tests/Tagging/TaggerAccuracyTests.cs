using MlNetRnn.Data;
using MlNetRnn.Models;
using MlNetRnn.Tests.Data;

namespace MlNetRnn.Tests.Tagging;

/// <summary>What the architecture is for: beating a lookup table on real text, and tagging unseen words by their letters.</summary>
[TestClass]
public sealed class TaggerAccuracyTests
{
    [TestMethod]
    public void Ewt600Sentences_CharCnnBiLstm_BeatsTheMostFrequentTagBaselineOnDev()
    {
        var trainPath = DataPaths.SharedDataset(Path.Combine("UD_English-EWT", "en_ewt-ud-train.conllu"));
        var devPath = DataPaths.SharedDataset(Path.Combine("UD_English-EWT", "en_ewt-ud-dev.conllu"));
        if (trainPath is null || devPath is null)
        {
            Assert.Inconclusive("shared/datasets/UD_English-EWT/ not found above the test directory.");
        }
        var reader = new CoNllUReader(CoNllUTagColumn.Upos);
        var train = reader.Read(trainPath).Take(600).ToArray();
        var dev = reader.Read(devPath).Take(500).ToArray();

        // Most frequent tag of each training word; unseen words get the most frequent tag overall.
        var byWord = train.SelectMany(s => s.Tokens.Zip(s.Tags)).GroupBy(p => p.First)
            .ToDictionary(g => g.Key, g => g.GroupBy(p => p.Second).MaxBy(t => t.Count())!.Key);
        var overall = train.SelectMany(s => s.Tags).GroupBy(t => t).MaxBy(g => g.Count())!.Key;
        double baseline = Accuracy(dev, s => s.Tokens.Select(t => byWord.GetValueOrDefault(t, overall)).ToArray());

        var hp = TaggerArchitectureTests.CharCnnBiLstm();
        // 19 batches an epoch: a constant learning rate, as the decay tuned for 200 batches an epoch would stop it early.
        (hp.Epochs, hp.BatchSize, hp.LearningRate, hp.LearningRateDecay, hp.EarlyStoppingPatience) = (5, 32, 3e-3, 1, 2);
        var reports = new List<EpochReport>();
        using var network = SequenceTaggerNetwork.Train(train.Select(s => s.Tokens).ToArray(), train.Select(s => s.Tags).ToArray(), hp,
            dev.Select(s => s.Tokens).ToArray(), dev.Select(s => s.Tags).ToArray(), reports.Add);
        var predicted = network.Predict(dev.Select(s => s.Tokens).ToArray());
        int sentence = 0;
        double accuracy = Accuracy(dev, _ => predicted[sentence++].Tags);

        Console.WriteLine($"600 EWT sentences: baseline {baseline:F4}, tagger {accuracy:F4} (epochs {string.Join(", ", reports.Select(r => $"{r.DevAccuracy:F4}"))})");
        Assert.AreEqual(reports.Single(r => r.Epoch == reports[^1].KeptEpoch).DevAccuracy!.Value, accuracy, 1e-12, "the kept epoch's accuracy");
        Assert.IsGreaterThan(baseline, accuracy);
    }

    [TestMethod]
    public void CharCnn_TagsUnseenWordsBySuffix_WordsOnlyCannot()
    {
        // Tags follow only from suffixes; the test words' stems never occur in training.
        var suffixes = new[] { ("ing", "VERB"), ("ness", "NOUN"), ("ly", "ADV"), ("ous", "ADJ") };
        var random = new Random(7);
        string Stem() => new(Enumerable.Range(0, random.Next(3, 7)).Select(_ => (char)('a' + random.Next(26))).ToArray());
        var trainStems = Enumerable.Range(0, 120).Select(_ => Stem()).ToArray();
        var testStems = Enumerable.Range(0, 60).Select(_ => Stem()).Except(trainStems).ToArray();
        (string[] Tokens, string[] Tags)[] Sentences(string[] stems, int count) => Enumerable.Range(0, count).Select(_ =>
        {
            var words = Enumerable.Range(0, 6).Select(_ => (Stem: stems[random.Next(stems.Length)], Suffix: suffixes[random.Next(suffixes.Length)])).ToArray();
            return (words.Select(w => w.Stem + w.Suffix.Item1).ToArray(), words.Select(w => w.Suffix.Item2).ToArray());
        }).ToArray();
        var train = Sentences(trainStems, 150);
        var test = Sentences(testStems, 40);

        double Score(CharFeatureKind chars)
        {
            var hp = TaggerArchitectureTests.CharCnnBiLstm();
            (hp.CharFeatures, hp.EmbeddingSize, hp.Units, hp.CharEmbeddingSize, hp.CharFilters, hp.Epochs, hp.BatchSize, hp.LearningRate) =
                (chars, 8, 8, 8, 16, 8, 32, 0.01);
            using var network = SequenceTaggerNetwork.Train(train.Select(s => s.Tokens).ToArray(), train.Select(s => s.Tags).ToArray(), hp);
            var predicted = network.Predict(test.Select(s => s.Tokens).ToArray());
            int sentence = 0;
            return Accuracy(test.Select(s => new TaggedSentence { Tokens = s.Tokens, Tags = s.Tags }).ToArray(), _ => predicted[sentence++].Tags);
        }

        double wordsOnly = Score(CharFeatureKind.None), withChars = Score(CharFeatureKind.Cnn);
        Console.WriteLine($"unseen words: words only {wordsOnly:F3}, char CNN {withChars:F3}");
        Assert.IsGreaterThan(0.95, withChars);
        Assert.IsLessThan(0.4, wordsOnly);
    }

    private static double Accuracy(IReadOnlyList<TaggedSentence> gold, Func<TaggedSentence, string[]> tag)
    {
        long correct = 0, total = 0;
        foreach (var sentence in gold)
        {
            var predicted = tag(sentence);
            for (int i = 0; i < sentence.Tags.Length; i++)
            {
                if (predicted[i] == sentence.Tags[i]) correct++;
                total++;
            }
        }
        return (double)correct / total;
    }
}
