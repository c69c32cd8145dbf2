using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Data;
using MlNetRnn.MlNet;

namespace MlNetRnn.Tests.MlNet;

[TestClass]
public sealed class SequenceTaggerPipelineTests
{
    [TestMethod]
    public void Pipeline_WithStockTransformsAndKeyLabels_TagsSvo()
    {
        var ml = new MLContext(seed: 1);
        var model = SvoData.Pipeline(ml).Fit(SvoData.TrainingView(ml));
        var rows = SvoData.Read(ml, model.Transform(SvoData.Queries(ml)));

        Assert.AreEqual(SvoData.Direct(model, SvoData.QuerySentences), SvoData.Fingerprint(rows), "outputs are the network's, in row order");
        Assert.AreEqual("V", rows[0].PredictedTags![1]);
        Assert.AreEqual(0, rows[2].PredictedTags?.Length ?? 0);
        Assert.AreEqual(5, rows[3].PredictedTags!.Length);
        Assert.AreEqual(3, rows[0].Score!.Length);
        Assert.AreEqual(3 * 3, rows[0].Probabilities!.Length);
        CollectionAssert.AreEqual(new[] { "O", "S", "V" }, ml.SequenceTagging().GetModelParameters(model).TagNames.ToArray());
    }

    [TestMethod]
    public void Svo_FromTheDatasetFile_FitTransformEvaluate_IsPerfect()
    {
        // datasets/svo.conll: "John loves Jane" / "Jane loves John", both S V O. Word identity alone cannot
        // tell S from O, so 100% means the recurrence learned word order.
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromConll(MlNetRnn.Tests.Data.DataPaths.RepoDataset("svo.conll"));
        var model = SvoData.Pipeline(ml).Fit(data);
        var scored = model.Transform(data);
        var metrics = ml.SequenceTagging().Evaluate(scored, "Tags", "PredictedTags");
        Assert.AreEqual(6, metrics.TokenCount);
        Assert.AreEqual(1.0, metrics.TokenAccuracy);
        Assert.AreEqual(1.0, metrics.SentenceAccuracy);
        var rows = SvoData.Read(ml, model.Transform(SvoData.Queries(ml)));
        CollectionAssert.AreEqual(SvoData.Expected, rows[0].PredictedTags);
        CollectionAssert.AreEqual(SvoData.Expected, rows[1].PredictedTags);
    }

    [TestMethod]
    public void TextLabels_AndOutputSchema()
    {
        var ml = new MLContext(seed: 1);
        var data = SvoData.TrainingView(ml);
        var estimator = ml.SequenceTagging().Trainers.SimpleRnn(SvoData.Options());
        var tagger = estimator.Fit(data);
        var output = tagger.Transform(SvoData.Queries(ml));

        Assert.AreEqual(SvoData.Direct(tagger, SvoData.QuerySentences), SvoData.Fingerprint(SvoData.Read(ml, output)));
        Assert.AreEqual(3, tagger.TagNames.Count);
        Assert.IsTrue(output.Schema["PredictedTags"].Type is VectorDataViewType { ItemType: TextDataViewType });
        Assert.IsTrue(output.Schema["Score"].Type is VectorDataViewType { ItemType: NumberDataViewType });
        Assert.IsTrue(output.Schema["Probabilities"].Type is VectorDataViewType { ItemType: NumberDataViewType });
        Assert.IsNull(output.Schema.GetColumnOrNull("__MlNetRnn.SequenceTagger.v1.Payload"), "helper columns are dropped");

        var shape = estimator.GetOutputSchema(SvoData.Shape(data.Schema));
        var names = shape.Select(c => c.Name).ToList();
        CollectionAssert.IsSubsetOf(new[] { "Tokens", "Tags", "PredictedTags", "Score", "Probabilities" }, names);
        Assert.IsFalse(names.Any(n => n.StartsWith("__", StringComparison.Ordinal)), string.Join(",", names));
        var predicted = shape.Single(c => c.Name == "PredictedTags");
        Assert.IsTrue(predicted.ItemType is TextDataViewType);
        Assert.AreEqual(SchemaShape.Column.VectorKind.VariableVector, predicted.Kind);
    }

    [TestMethod]
    public void Transform_IsLazy()
    {
        var ml = new MLContext(seed: 1);
        var tagger = ml.SequenceTagging().Trainers.SimpleRnn(SvoData.Options()).Fit(SvoData.TrainingView(ml));
        int produced = 0;
        IEnumerable<Sentence> Stream()
        {
            for (int i = 0; i < 50_000; i++)
            {
                produced++;
                yield return new Sentence { Tokens = ["John", "loves", "Jane"] };
            }
        }
        var view = tagger.Transform(ml.Data.LoadFromEnumerable(Stream()));
        Assert.AreEqual(0, produced, "Transform must not read rows");
        var first = ml.Data.CreateEnumerable<TaggedSentence>(view, reuseRowObject: false).Take(2).ToList();
        Assert.AreEqual(3, first[1].PredictedTags!.Length);
        Assert.IsLessThan(50_000, produced, "rows are streamed, not materialised");
    }

    [TestMethod]
    public void PredictionEngine_DoesNotNeedTheLabel()
    {
        var ml = new MLContext(seed: 1);
        var model = SvoData.FitScoringModel(ml);
        using var engine = ml.Model.CreatePredictionEngine<Sentence, TaggedSentence>(model);
        var tagged = engine.Predict(new Sentence { Tokens = ["Jane", "loves", "John"] });
        Assert.AreEqual(SvoData.Direct(model, ["Jane", "loves", "John"]), SvoData.Fingerprint([tagged]));

        // The tagger alone never needs the label either.
        var tagger = ml.SequenceTagging().Trainers.SimpleRnn(SvoData.Options()).Fit(SvoData.TrainingView(ml));
        using var engine2 = ml.Model.CreatePredictionEngine<Sentence, TaggedSentence>(tagger);
        Assert.AreEqual("V", engine2.Predict(new Sentence { Tokens = ["John", "loves", "Jane"] }).PredictedTags![1]);
        Assert.IsNull(engine.Predict(new Sentence { Tokens = [] }).PredictedTags, "ML.NET gives null for a zero-length vector");
    }

    [TestMethod]
    public void SaveLoad_RoundTrip_GivesIdenticalOutputs_AndNeedsNoRegistration()
    {
        var ml = new MLContext(seed: 1);
        var training = SvoData.TrainingView(ml);
        var model = SvoData.FitScoringModel(ml);
        var batched = SvoData.Fingerprint(SvoData.Read(ml, model.Transform(SvoData.Queries(ml))));
        var dir = Directory.CreateTempSubdirectory("mlnetrnn-test-");
        try
        {
            var path = Path.Combine(dir.FullName, "model.zip");
            ml.Model.Save(model, training.Schema, path);

            var ml2 = new MLContext(seed: 2); // a fresh context, no registration call
            var loaded = ml2.Model.Load(path, out var schema);
            Assert.IsNotNull(schema.GetColumnOrNull("Tokens"));
            Assert.AreEqual(SvoData.Direct(model, SvoData.QuerySentences), batched, "the fitted model's Transform is batched");
            Assert.AreEqual(SvoData.DirectOneByOne(model, SvoData.QuerySentences),
                SvoData.Fingerprint(SvoData.Read(ml2, loaded.Transform(SvoData.Queries(ml2)))), "plain Model.Load gives the row-wise chain");
            CollectionAssert.AreEqual(ml.SequenceTagging().GetModelParameters(model).TagNames.ToArray(), ml2.SequenceTagging().GetModelParameters(loaded).TagNames.ToArray());

            using (var engine = ml2.Model.CreatePredictionEngine<Sentence, TaggedSentence>(loaded))
                Assert.AreEqual(SvoData.Direct(model, ["John", "loves", "Jane"]), SvoData.Fingerprint([engine.Predict(new Sentence { Tokens = ["John", "loves", "Jane"] })]));

            // Re-save the loaded chain with the atomic helper and load it again.
            var again = Path.Combine(dir.FullName, "again.zip");
            SequenceTaggerModelFile.Save(ml2, loaded, schema, again);
            var reloaded = SequenceTaggerModelFile.Load(ml2, again, out _);
            Assert.AreEqual(batched, SvoData.Fingerprint(SvoData.Read(ml2, reloaded.Transform(SvoData.Queries(ml2)))));
            Assert.IsEmpty(Directory.GetFiles(dir.FullName, "*.tmp"), "no temporary file is left");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void EightThreads_EachWithItsOwnPredictionEngine_AgreeWithSingleThreaded()
    {
        var ml = new MLContext(seed: 1);
        var training = SvoData.TrainingView(ml);
        var dir = Directory.CreateTempSubdirectory("mlnetrnn-test-");
        try
        {
            var path = Path.Combine(dir.FullName, "model.zip");
            SequenceTaggerModelFile.Save(ml, SvoData.FitScoringModel(ml), training.Schema, path);
            var loaded = SequenceTaggerModelFile.Load(ml, path, out _);

            Sentence[] inputs = Enumerable.Range(0, 200).Select(i => new Sentence
            {
                Tokens = Enumerable.Range(0, 1 + i % 7).Select(j => (i + j) % 3 == 0 ? "John" : (i + j) % 3 == 1 ? "loves" : "Jane").ToArray(),
            }).ToArray();
            string[] single;
            using (var engine = ml.Model.CreatePredictionEngine<Sentence, TaggedSentence>(loaded))
                single = inputs.Select(s => SvoData.Fingerprint([engine.Predict(s)])).ToArray();

            // Tasks on their own threads, released together by a barrier; a failure is collected, not thrown on a raw thread.
            const int threadCount = 8;
            var results = new string[threadCount][];
            var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
            using var start = new Barrier(threadCount);
            var tasks = Enumerable.Range(0, threadCount).Select(t => Task.Factory.StartNew(() =>
            {
                PredictionEngine<Sentence, TaggedSentence>? engine = null;
                try
                {
                    engine = ml.Model.CreatePredictionEngine<Sentence, TaggedSentence>(loaded);
                }
                catch (Exception e)
                {
                    failures.Enqueue($"thread {t}, creating its engine: {e}");
                }
                start.SignalAndWait();
                if (engine is null) return;
                try
                {
                    results[t] = inputs.Select(s => SvoData.Fingerprint([engine.Predict(s)])).ToArray();
                }
                catch (Exception e)
                {
                    failures.Enqueue($"thread {t}, predicting: {e}");
                }
                finally
                {
                    engine.Dispose();
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
            Task.WaitAll(tasks);
            Assert.IsEmpty(failures, string.Join("\n", failures));
            for (int t = 0; t < threadCount; t++) CollectionAssert.AreEqual(single, results[t], $"thread {t}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
