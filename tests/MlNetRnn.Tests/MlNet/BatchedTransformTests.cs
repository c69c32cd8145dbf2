using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.MlNet;

namespace MlNetRnn.Tests.MlNet;

/// <summary>The batched <c>Transform</c> (<see cref="BatchedTaggerDataView"/>): same rows, same order, the network's
/// numbers for each block, and ordinary ML.NET cursor behaviour.</summary>
[TestClass]
public sealed class BatchedTransformTests
{
    /// <summary>A labelled row with a pass-through column of each kind (vector of text, scalar number).</summary>
    private sealed class Row
    {
        public string[] Tokens { get; set; } = [];
        public string[] Tags { get; set; } = [];
        public float Weight { get; set; }
    }

    private static readonly string[] Words = ["John", "Jane", "Mary", "loves", "sees", "Paris"];

    /// <summary>A block and 86 rows more (two blocks); one row in 10 empty.</summary>
    private static Row[] Rows()
    {
        var random = new Random(7);
        return Enumerable.Range(0, BatchedTaggerDataView.BlockRows + 86).Select(i => new Row
        {
            Tokens = i % 10 == 3 ? [] : Enumerable.Range(0, 1 + random.Next(6)).Select(_ => Words[random.Next(Words.Length)]).ToArray(),
            Weight = i,
        }).ToArray();
    }

    private static SequenceTaggerTransformer Fit(MLContext ml) =>
        ml.SequenceTagging().Trainers.SimpleRnn(SvoData.Options()).Fit(SvoData.TrainingView(ml));

    [TestMethod]
    public void Transform_EqualsPredictOverEachBlock_BitForBit_InRowOrder()
    {
        var ml = new MLContext(seed: 1);
        var tagger = Fit(ml);
        var rows = Rows();
        var scored = tagger.Transform(ml.Data.LoadFromEnumerable(rows));
        Assert.IsInstanceOfType<BatchedTaggerDataView>(scored);
        var sentences = rows.Select(r => r.Tokens).ToArray();
        string expected = SvoData.Direct(tagger, sentences[..BatchedTaggerDataView.BlockRows]) + "\n"
            + SvoData.Direct(tagger, sentences[BatchedTaggerDataView.BlockRows..]);
        Assert.AreEqual(expected, SvoData.Fingerprint(SvoData.Read(ml, scored)));
    }

    [TestMethod]
    public void Transform_AgreesWithTheRowWiseChain_TagsEqual_ProbabilitiesWithinRounding()
    {
        var ml = new MLContext(seed: 1);
        var tagger = Fit(ml);
        var rows = Rows();
        var batched = SvoData.Read(ml, tagger.Transform(ml.Data.LoadFromEnumerable(rows)));
        using var engine = ml.Model.CreatePredictionEngine<Sentence, TaggedSentence>(tagger);
        Assert.HasCount(rows.Length, batched);
        for (int i = 0; i < rows.Length; i++)
        {
            var one = engine.Predict(new Sentence { Tokens = rows[i].Tokens });
            CollectionAssert.AreEqual(one.PredictedTags, batched[i].PredictedTags, $"row {i}");
            var a = one.Probabilities ?? [];
            var b = batched[i].Probabilities ?? [];
            Assert.HasCount(a.Length, b, $"row {i}");
            for (int k = 0; k < a.Length; k++) Assert.AreEqual(a[k], b[k], 1e-6f, $"row {i}, value {k}");
        }
    }

    [TestMethod]
    public void PassThroughColumns_KeepTheirValues_AcrossBlocks()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows();
        var scored = Fit(ml).Transform(ml.Data.LoadFromEnumerable(rows));
        var columns = new[] { "Tokens", "Weight", "PredictedTags" }.Select(n => scored.Schema[n]).ToArray();
        using var cursor = scored.GetRowCursor(columns);
        var tokens = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(columns[0]);
        var weight = cursor.GetGetter<float>(columns[1]);
        var predicted = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(columns[2]);
        var kept = new List<VBuffer<ReadOnlyMemory<char>>>();
        int row = 0;
        while (cursor.MoveNext())
        {
            Assert.AreEqual(row, cursor.Position);
            VBuffer<ReadOnlyMemory<char>> value = default, tags = default;
            tokens(ref value);
            predicted(ref tags);
            float w = 0;
            weight(ref w);
            Assert.AreEqual(row, (int)w);
            Assert.AreEqual(rows[row].Tokens.Length, tags.Length, $"row {row}");
            kept.Add(value); // a caller may keep what a getter gave: later rows must not overwrite it
            row++;
        }
        Assert.AreEqual(rows.Length, row);
        for (int i = 0; i < rows.Length; i++)
            CollectionAssert.AreEqual(rows[i].Tokens, kept[i].DenseValues().Select(t => t.ToString()).ToArray(), $"row {i}");
    }

    [TestMethod]
    public void WithoutOutputColumns_TheNetworkIsNotRun()
    {
        var ml = new MLContext(seed: 1);
        var data = SvoData.TrainingView(ml);
        var tagger = Fit(ml);
        // A damaged payload fails as soon as the network is needed, so reading only other columns proves it is not.
        var damaged = new SequenceTaggerTransformer(ml, SvoData.Options(), tagger.Network, "damaged",
            TaggerPayload.Encode(TaggerPayload.FormatVersion, "damaged", "AAAA"), data);
        var scored = damaged.Transform(ml.Data.LoadFromEnumerable(Rows()));
        using (var cursor = scored.GetRowCursor([scored.Schema["Weight"]]))
        {
            int count = 0;
            while (cursor.MoveNext()) count++;
            Assert.AreEqual(BatchedTaggerDataView.BlockRows + 86, count);
        }
        using var tagging = scored.GetRowCursor([scored.Schema["PredictedTags"]]);
        Assert.ThrowsExactly<InvalidDataException>(() => tagging.MoveNext());
    }

    [TestMethod]
    public void RowCount_ShuffledAndParallelCursors_Evaluate_WorkAsForTheRowWiseChain()
    {
        var ml = new MLContext(seed: 1);
        var tagger = Fit(ml);
        var rows = Rows();
        foreach (var row in rows) row.Tags = [.. row.Tokens.Select(t => t == "loves" || t == "sees" ? "V" : "S")];
        var input = ml.Data.LoadFromEnumerable(rows);
        var scored = tagger.Transform(input);
        Assert.AreEqual(input.GetRowCount(), scored.GetRowCount());
        Assert.AreEqual(input.CanShuffle, scored.CanShuffle);

        var inOrder = Pairs(scored.GetRowCursor(scored.Schema, null));
        var shuffled = Pairs(scored.GetRowCursor(scored.Schema, new Random(3)));
        var set = scored.GetRowCursorSet(scored.Schema, 4, null);
        Assert.HasCount(1, set);
        CollectionAssert.AreEqual(inOrder, Pairs(set[0]));
        CollectionAssert.AreEquivalent(inOrder, shuffled);

        var rowwise = ml.Model.Load(SaveToStream(ml, tagger, input.Schema), out _).Transform(input);
        Assert.IsNotInstanceOfType<BatchedTaggerDataView>(rowwise, "plain Model.Load gives the stock chain");
        var batchedMetrics = ml.SequenceTagging().Evaluate(scored);
        var rowwiseMetrics = ml.SequenceTagging().Evaluate(rowwise);
        Assert.AreEqual(rowwiseMetrics.TokenCount, batchedMetrics.TokenCount);
        Assert.AreEqual(rowwiseMetrics.TokenAccuracy, batchedMetrics.TokenAccuracy);
        Assert.AreEqual(rowwiseMetrics.SentenceCount, batchedMetrics.SentenceCount);
    }

    [TestMethod]
    public void ModelFileLoad_IsBatched_AndSavesTheSameStockChain()
    {
        var ml = new MLContext(seed: 1);
        var tagger = Fit(ml);
        var data = SvoData.TrainingView(ml);
        var dir = Directory.CreateTempSubdirectory("mlnetrnn-test-");
        try
        {
            var path = Path.Combine(dir.FullName, "tagger.zip");
            SequenceTaggerModelFile.Save(ml, tagger, data.Schema, path);
            var loaded = SequenceTaggerModelFile.Load(ml, path, out var schema);
            var input = ml.Data.LoadFromEnumerable(Rows());
            Assert.IsInstanceOfType<BatchedTaggerDataView>(loaded.Transform(input));
            Assert.AreEqual(SvoData.Fingerprint(SvoData.Read(ml, tagger.Transform(input))), SvoData.Fingerprint(SvoData.Read(ml, loaded.Transform(input))));
            CollectionAssert.AreEqual(tagger.TagNames.ToArray(), SequenceTaggerTransformer.GetTagNames(loaded).ToArray());

            var again = Path.Combine(dir.FullName, "again.zip");
            SequenceTaggerModelFile.Save(ml, loaded, schema, again);
            var plain = ml.Model.Load(again, out _);
            Assert.IsInstanceOfType<TransformerChain<ITransformer>>(plain);
            Assert.AreEqual(SvoData.DirectOneByOne(tagger, Rows().Select(r => r.Tokens).ToArray()), SvoData.Fingerprint(SvoData.Read(ml, plain.Transform(input))));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static MemoryStream SaveToStream(MLContext ml, ITransformer model, DataViewSchema schema)
    {
        var stream = new MemoryStream();
        ml.Model.Save(model, schema, stream);
        stream.Position = 0;
        return stream;
    }

    /// <summary>Each row's "weight: predicted tags", read with the given cursor (disposed).</summary>
    private static List<string> Pairs(DataViewRowCursor cursor)
    {
        using (cursor)
        {
            var weight = cursor.GetGetter<float>(cursor.Schema["Weight"]);
            var predicted = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(cursor.Schema["PredictedTags"]);
            var result = new List<string>();
            float w = 0;
            VBuffer<ReadOnlyMemory<char>> tags = default;
            while (cursor.MoveNext())
            {
                weight(ref w);
                predicted(ref tags);
                result.Add($"{w}: {string.Join(' ', tags.DenseValues())}");
            }
            return result;
        }
    }
}
