using MlNetRnn.Data;
using MlNetRnn.Models;
using MlNetRnn.Tagging;

namespace MlNetRnn.Tests.Tagging;

/// <summary>Word and character ids of the tagger's inputs.</summary>
[TestClass]
public sealed class TokenEncoderTests
{
    [TestMethod]
    public void Lowercase_MapsWordsButCharactersKeepTheirCase()
    {
        string[][] sentences = [["The", "the", "THE", "Cat"]];
        var chars = TokenEncoder.BuildCharVocabulary(sentences);
        var words = Vocabulary.Build([["the", "the", "the", "cat"]], 1);
        var encoder = new TokenEncoder(words, chars, lowercase: true, maxChars: 20, boundaryMarkers: false);
        CollectionAssert.AreEqual(new[] { 2, 2, 2, 3, Vocabulary.OutOfVocabularyId }, encoder.WordIds(["The", "the", "THE", "cat", "dog"]));
        var ids = encoder.CharIds(["The", "THE"])!;
        Assert.AreNotEqual(ids[0][0], ids[1][1], "'T' and 'H' differ");
        Assert.AreEqual(chars.IdOf("T"), ids[0][0]);
        Assert.AreEqual(chars.IdOf("h"), ids[0][1]);
        Assert.AreEqual(chars.IdOf("H"), ids[1][1]);
        Assert.AreEqual(Vocabulary.OutOfVocabularyId, encoder.CharIds(["x"])![0][0], "an unseen character");
    }

    [TestMethod]
    public void LongTokens_KeepTheirFirstAndLastCharacters()
    {
        var chars = TokenEncoder.BuildCharVocabulary([["abcdefghij"]]);
        var encoder = new TokenEncoder(Vocabulary.Build([["x"]], 1), chars, lowercase: false, maxChars: 5, boundaryMarkers: false);
        var kept = encoder.CharIds(["abcdefghij", "abc"])!;
        CollectionAssert.AreEqual("abcij".Select(c => chars.IdOf(c.ToString())).ToArray(), kept[0], "three from the start, two from the end");
        CollectionAssert.AreEqual("abc".Select(c => chars.IdOf(c.ToString())).ToArray(), kept[1]);
        Assert.IsNull(new TokenEncoder(Vocabulary.Build([["x"]], 1), null, false, 5, boundaryMarkers: true).CharIds(["x"]));
    }

    [TestMethod]
    public void BoundaryMarkers_FrameEachTokenAfterTheCut_WithTheTwoIdsAfterTheVocabulary()
    {
        var chars = TokenEncoder.BuildCharVocabulary([["abcdefghij"]]);
        Assert.AreEqual(12, chars.Size, "ten characters, padding and out-of-vocabulary");
        var encoder = new TokenEncoder(Vocabulary.Build([["x"]], 1), chars, lowercase: false, maxChars: 5, boundaryMarkers: true);
        Assert.AreEqual(14, encoder.CharIdCount, "two more embedding rows for the markers");
        Assert.AreEqual((12, 13), (TokenEncoder.BeginOfWordId(chars), TokenEncoder.EndOfWordId(chars)));
        var ids = encoder.CharIds(["abcdefghij", "a", "z"])!;
        CollectionAssert.AreEqual(new[] { 12, chars.IdOf("a"), chars.IdOf("b"), chars.IdOf("c"), chars.IdOf("i"), chars.IdOf("j"), 13 }, ids[0]);
        CollectionAssert.AreEqual(new[] { 12, chars.IdOf("a"), 13 }, ids[1]);
        CollectionAssert.AreEqual(new[] { 12, Vocabulary.OutOfVocabularyId, 13 }, ids[2]);
        Assert.AreEqual(12, new TokenEncoder(Vocabulary.Build([["x"]], 1), chars, false, 5, boundaryMarkers: false).CharIdCount);
    }

    [TestMethod]
    public void WordDropoutProbabilities_AreAlphaOverAlphaPlusCount()
    {
        var vocabulary = Vocabulary.FromTokens(["the", "cat", "vector-only"]);
        var counts = new Dictionary<string, int> { ["the"] = 3, ["cat"] = 1 };
        var p = TaggerBatches.WordDropoutProbabilities(0.25, vocabulary, counts);
        CollectionAssert.AreEqual(new[] { 0f, 0f, (float)(0.25 / 3.25), (float)(0.25 / 1.25), 0f }, p,
            "padding, out-of-vocabulary, the (3), cat (1), a word known only from vectors");
    }

    [TestMethod]
    public void WordDropout_ReplacesEachWordByTheUnknownIdAtItsRate_Seeded()
    {
        // Word 2 is dropped with probability 0.5, word 3 never; 2,000 tokens of each.
        int[][] ids = Enumerable.Range(0, 100).Select(_ => Enumerable.Range(0, 40).Select(i => 2 + i % 2).ToArray()).ToArray();
        var labels = ids.Select(s => new int[s.Length]).ToArray();
        float[] probabilities = [0f, 0f, 0.5f, 0f];
        long dropped = 0, droppedOther = 0;
        using (var source = new TaggerBatches(ids, null, labels, batchSize: 100, seed: 3, rareTokenDropout: 0, rareIds: new HashSet<int>(), probabilities))
        {
            foreach (var batch in source.GetBatches(0))
            {
                var words = batch.Inputs[0].data<long>().ToArray();
                for (int i = 0; i < words.Length; i++)
                {
                    if (words[i] != Vocabulary.OutOfVocabularyId) continue;
                    if (i % 2 == 0) dropped++;
                    else droppedOther++;
                }
            }
        }
        Assert.AreEqual(0, droppedOther, "a word of probability 0 is never dropped");
        // Binomial(2000, 0.5): mean 1000, standard deviation 22; seed 3 draws 977.
        Assert.AreEqual(977, dropped);
    }

    [TestMethod]
    public void Characters_AreUnicodeScalars()
    {
        CollectionAssert.AreEqual(new[] { "a", "😀", "é" }, TokenEncoder.Characters("a😀é").ToArray());
    }

    [TestMethod]
    public void PaddedBatch_PadsCharactersToTheLongestTokenOfTheBatch()
    {
        int[][] ids = [[2, 3], [4]];
        int[][][] chars = [[[5, 6, 7], [8]], [[9, 10]]];
        using var batch = PaddedBatch.Pad([0, 1], ids, null, null, chars);
        CollectionAssert.AreEqual(new long[] { 2, 2, 3 }, batch.Chars!.shape);
        CollectionAssert.AreEqual(new long[] { 5, 6, 7, 8, 0, 0, 9, 10, 0, 0, 0, 0 }, batch.Chars.data<long>().ToArray());
    }

    [TestMethod]
    public void Batches_CoverEverySentenceOncePerEpoch_LengthSortedWithinPools_NewEachEpoch()
    {
        var random = new Random(5);
        var ids = Enumerable.Range(0, 1000).Select(_ => Enumerable.Repeat(2, random.Next(1, 40)).ToArray()).ToArray();
        var labels = ids.Select(s => new int[s.Length]).ToArray();
        using var source = new TaggerBatches(ids, null, labels, batchSize: 8, seed: 1, rareTokenDropout: 0, rareIds: new HashSet<int>());
        var first = source.EpochGroups();
        var second = source.EpochGroups();
        foreach (var epoch in new[] { first, second })
        {
            CollectionAssert.AreEquivalent(Enumerable.Range(0, 1000).ToArray(), epoch.SelectMany(g => g).ToArray());
            Assert.AreEqual(125, epoch.Count);
            // A pool of 400 sentences sorted by length: within a batch lengths differ by little.
            double meanSpread = epoch.Average(g => g.Max(i => ids[i].Length) - g.Min(i => ids[i].Length));
            Assert.IsLessThan(2.0, meanSpread);
        }
        Assert.IsFalse(first.Select(g => string.Join(",", g)).SequenceEqual(second.Select(g => string.Join(",", g))), "a new grouping each epoch");
    }
}
