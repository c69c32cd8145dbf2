using Microsoft.ML;
using MlNetRnn.MlNet;
using MlNetRnn.Models;

namespace MlNetRnn.Tests.MlNet;

[TestClass]
public sealed class SequenceTaggingEvaluateTests
{
    private sealed class ScoredRow
    {
        public string[] Tags { get; set; } = [];
        public string[] PredictedTags { get; set; } = [];
    }

    private sealed class ScalarLabelRow
    {
        public string Tags { get; set; } = "";
        public string[] PredictedTags { get; set; } = [];
    }

    private static IDataView Scored(MLContext ml, params (string[] Gold, string[] Predicted)[] rows) =>
        ml.Data.LoadFromEnumerable(rows.Select(r => new ScoredRow { Tags = r.Gold, PredictedTags = r.Predicted }).ToArray());

    [TestMethod]
    public void Evaluate_MatchesHandComputedScores_ForTextAndKeyColumns()
    {
        var ml = new MLContext(seed: 1);
        // 5 tokens, 4 correct; sentence 2 fully correct. A: 2 gold, 3 predicted, 2 right → P 2/3, R 1, F1 0.8.
        // B: 3 gold, 2 predicted, 2 right → P 1, R 2/3, F1 0.8.
        var text = Scored(ml, (["A", "B", "A"], ["A", "A", "A"]), (["B", "B"], ["B", "B"]));
        // The same data with the predicted column as keys with text key values.
        var keyed = ml.Transforms.Conversion.MapValueToKey("PredictedKeys", "PredictedTags").Fit(text).Transform(text);

        foreach (var metrics in new[]
                 {
                     ml.SequenceTagging().Evaluate(text),
                     ml.SequenceTagging().Evaluate(keyed, predictedLabelColumnName: "PredictedKeys"),
                 })
        {
            Assert.AreEqual(0.8, metrics.TokenAccuracy, 1e-12);
            Assert.AreEqual(0.5, metrics.SentenceAccuracy, 1e-12);
            Assert.AreEqual(5, metrics.TokenCount);
            Assert.AreEqual(2, metrics.SentenceCount);
            Assert.AreEqual(2.0 / 3, metrics.PerTag["A"].Precision, 1e-12);
            Assert.AreEqual(1.0, metrics.PerTag["A"].Recall, 1e-12);
            Assert.AreEqual(0.8, metrics.PerTag["A"].F1, 1e-12);
            Assert.AreEqual(2.0 / 3, metrics.PerTag["B"].Recall, 1e-12);
            Assert.AreEqual(3, metrics.PerTag["B"].Support);
            Assert.AreEqual(0.8, metrics.MacroF1, 1e-12);
            Assert.AreEqual(0.8, metrics.MicroF1, 1e-12);
        }
    }

    [TestMethod]
    public void Evaluate_MissingOrWrongColumn_NamesIt()
    {
        var ml = new MLContext(seed: 1);
        var data = Scored(ml, (["A"], ["A"]));
        var missing = Assert.Throws<ArgumentException>(() => ml.SequenceTagging().Evaluate(data, predictedLabelColumnName: "Nope"));
        StringAssert.Contains(missing.Message, "'Nope'");
        var wrong = Assert.Throws<ArgumentException>(() =>
            ml.SequenceTagging().Evaluate(ml.Data.LoadFromEnumerable(new[] { new ScalarLabelRow { Tags = "A", PredictedTags = ["A"] } })));
        StringAssert.Contains(wrong.Message, "label column 'Tags'");
    }

    [TestMethod]
    public void Evaluate_LengthMismatch_NamesTheRow()
    {
        var ml = new MLContext(seed: 1);
        var data = Scored(ml, (["A"], ["A"]), (["A", "B"], ["A"]));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => ml.SequenceTagging().Evaluate(data));
        StringAssert.Contains(e.Message, "row 1");
    }

    [TestMethod]
    public void Fit_WithValidationData_ReportsDevAccuracyEveryEpoch()
    {
        var ml = new MLContext(seed: 1);
        var reports = new List<EpochReport>();
        var options = SvoData.Options();
        options.Epochs = 3;
        options.OnEpoch = reports.Add;
        var estimator = ml.SequenceTagging().Trainers.SimpleRnn(options);
        var dev = ml.Data.LoadFromEnumerable(new[] { new LabeledSentence { Tokens = ["Jane", "loves", "Mary"], Tags = ["S", "V", "O"] } });

        var tagger = estimator.Fit(SvoData.TrainingView(ml), dev);
        Assert.HasCount(3, reports);
        // "Mary" is unseen: each epoch's dev accuracy is a whole number of the 3 tokens, and the last one is
        // what Evaluate says of the returned model (early stopping's kept epoch) on the same data.
        foreach (var r in reports)
            Assert.AreEqual(Math.Round(r.DevAccuracy!.Value * 3), r.DevAccuracy.Value * 3, 1e-9, $"epoch {r.Epoch}: {r.DevAccuracy}");
        var evaluated = ml.SequenceTagging().Evaluate(tagger.Transform(dev));
        Assert.AreEqual(3, evaluated.TokenCount);
        Assert.AreEqual(evaluated.TokenAccuracy, reports[reports[^1].KeptEpoch - 1].DevAccuracy!.Value, 1e-12);

        reports.Clear();
        estimator.Fit(SvoData.TrainingView(ml));
        Assert.HasCount(3, reports);
        CollectionAssert.AreEqual(new double?[] { null, null, null }, reports.Select(r => r.DevAccuracy).ToArray(), "no dev data, no dev accuracy");

        var emptyDev = ml.Data.LoadFromEnumerable(Array.Empty<LabeledSentence>());
        StringAssert.Contains(
            Assert.ThrowsExactly<InvalidOperationException>(() => estimator.Fit(SvoData.TrainingView(ml), emptyDev)).Message,
            "no validation sentences");
    }
}
