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
        var encoder = new TokenEncoder(words, chars, lowercase: true, maxChars: 20);
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
        var encoder = new TokenEncoder(Vocabulary.Build([["x"]], 1), chars, lowercase: false, maxChars: 5);
        var kept = encoder.CharIds(["abcdefghij", "abc"])!;
        CollectionAssert.AreEqual("abcij".Select(c => chars.IdOf(c.ToString())).ToArray(), kept[0], "three from the start, two from the end");
        CollectionAssert.AreEqual("abc".Select(c => chars.IdOf(c.ToString())).ToArray(), kept[1]);
        Assert.IsNull(new TokenEncoder(Vocabulary.Build([["x"]], 1), null, false, 5).CharIds(["x"]));
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
