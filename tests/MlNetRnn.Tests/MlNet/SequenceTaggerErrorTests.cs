using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Data;
using MlNetRnn.MlNet;

namespace MlNetRnn.Tests.MlNet;

[TestClass]
public sealed class SequenceTaggerErrorTests
{
    private sealed class ScalarTokens
    {
        public string Tokens { get; set; } = "";
        public string[] Tags { get; set; } = [];
    }

    private sealed class FloatLabels
    {
        public string[] Tokens { get; set; } = [];
        public float[] Tags { get; set; } = [];
    }

    private static SequenceTaggerEstimator Estimator(MLContext ml) => ml.SequenceTagging().Trainers.SimpleRnn(SvoData.Options());

    [TestMethod]
    public void MalformedDataFile_IsReportedWithFileAndLine_NotAsMlNetWrapper()
    {
        var ml = new MLContext(seed: 1);
        var path = Path.Combine(Path.GetTempPath(), $"mlnetrnn-bad-{Guid.NewGuid():N}.conll");
        File.WriteAllText(path, "John S\nloves V\n\nJane\n");
        try
        {
            var data = ml.Data.LoadFromConll(path);
            var e = Assert.ThrowsExactly<SequenceDataFormatException>(() => Estimator(ml).Fit(data));
            Assert.AreEqual(4, e.LineNumber);
            StringAssert.Contains(e.Message, $"{path}:4");
            // Transform reads through ML.NET's parallel cursors, which wrap the reader's exception.
            var model = Estimator(ml).Fit(SvoData.TrainingView(ml));
            e = Assert.ThrowsExactly<SequenceDataFormatException>(() => ml.SequenceTagging().Evaluate(model.Transform(data)));
            Assert.AreEqual(4, e.LineNumber);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void MissingColumn_IsReported_AtSchemaCheckAndFit()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Sentence { Tokens = ["a"] } });
        var e1 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Estimator(ml).GetOutputSchema(SvoData.Shape(data.Schema)));
        StringAssert.Contains(e1.Message, "label column 'Tags' not found");
        var e2 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Estimator(ml).Fit(data));
        StringAssert.Contains(e2.Message, "label column 'Tags' not found");
        var noTokens = ml.Transforms.DropColumns("Tokens").Fit(SvoData.TrainingView(ml)).Transform(SvoData.TrainingView(ml));
        var e3 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Estimator(ml).GetOutputSchema(SvoData.Shape(noTokens.Schema)));
        StringAssert.Contains(e3.Message, "tokens column 'Tokens' not found");
    }

    [TestMethod]
    public void WrongTypes_NameColumnExpectedAndFound()
    {
        var ml = new MLContext(seed: 1);
        var scalar = ml.Data.LoadFromEnumerable(new[] { new ScalarTokens { Tokens = "a", Tags = ["S"] } });
        var e1 = Assert.ThrowsExactly<ArgumentException>(() => Estimator(ml).GetOutputSchema(SvoData.Shape(scalar.Schema)));
        StringAssert.Contains(e1.Message, "tokens column 'Tokens': expected Vector<String>");
        StringAssert.Contains(e1.Message, "found String");
        Assert.ThrowsExactly<ArgumentException>(() => Estimator(ml).Fit(scalar));

        var floats = ml.Data.LoadFromEnumerable(new[] { new FloatLabels { Tokens = ["a"], Tags = [1f] } });
        var e2 = Assert.ThrowsExactly<ArgumentException>(() => Estimator(ml).GetOutputSchema(SvoData.Shape(floats.Schema)));
        StringAssert.Contains(e2.Message, "label column 'Tags'");
        StringAssert.Contains(e2.Message, "Single");
        var e3 = Assert.ThrowsExactly<ArgumentException>(() => Estimator(ml).Fit(floats));
        StringAssert.Contains(e3.Message, "label column 'Tags'");
    }

    [TestMethod]
    public void LengthMismatch_NamesColumnAndRow()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[]
        {
            new LabeledSentence { Tokens = ["John", "loves", "Jane"], Tags = ["S", "V", "O"] },
            new LabeledSentence { Tokens = ["Jane", "loves"], Tags = ["S", "V", "O"] },
        });
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Estimator(ml).Fit(data));
        StringAssert.Contains(e.Message, "row 1");
        StringAssert.Contains(e.Message, "'Tokens'");
        StringAssert.Contains(e.Message, "'Tags'");

        // Key-typed labels too.
        var keyed = ml.Transforms.Conversion.MapValueToKey("TagKeys", "Tags").Fit(data).Transform(data);
        var e2 = Assert.ThrowsExactly<InvalidOperationException>(() =>
            ml.SequenceTagging().Trainers.SimpleRnn(SvoData.Options(label: "TagKeys")).Fit(keyed));
        StringAssert.Contains(e2.Message, "row 1");
    }

    [TestMethod]
    public void EmptyDataset_AndOnlyEmptySentences_AreErrors_EmptySentencesAreSkipped()
    {
        var ml = new MLContext(seed: 1);
        var empty = ml.Data.LoadFromEnumerable(Array.Empty<LabeledSentence>());
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => Estimator(ml).Fit(empty)).Message, "no training sentences");
        var blanks = ml.Data.LoadFromEnumerable(new[] { new LabeledSentence(), new LabeledSentence() });
        Assert.ThrowsExactly<InvalidOperationException>(() => Estimator(ml).Fit(blanks));

        var mixed = ml.Data.LoadFromEnumerable(SvoData.Training.Append(new LabeledSentence()).ToArray());
        var (tokens, _) = SequenceTaggerEstimator.ReadSentences(mixed, "Tokens", "Tags");
        Assert.HasCount(2, tokens);
        Assert.AreEqual(3, Estimator(ml).Fit(mixed).TagNames.Count);
    }

    [TestMethod]
    public void Options_AreValidated()
    {
        var ml = new MLContext();
        Assert.ThrowsExactly<ArgumentException>(() => ml.SequenceTagging().Trainers.SimpleRnn(new SequenceTaggerOptions { TokensColumnName = "" }));
        Assert.ThrowsExactly<ArgumentException>(() => ml.SequenceTagging().Trainers.SimpleRnn(new SequenceTaggerOptions { ScoreColumnName = "PredictedTags" }));
    }
}
