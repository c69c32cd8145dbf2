using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetRnn.Data;
using MlNetRnn.MlNet;
using MlNetRnn.Models;
using MlNetRnn.Tests.Data;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.MlNet;

/// <summary>The tagger behaves like an ML.NET trainer: seed from the context, log through its channels,
/// cancellation, validation data inside a pipeline, a simple catalog overload, model parameters after load.</summary>
[TestClass]
public sealed class SequenceTaggerConventionTests
{
    private static readonly string[] Names = ["John", "Jane", "Mary", "Paul"];

    /// <summary>Eight S V O sentences: every ordered pair of distinct names among the first three, plus two with Paul.</summary>
    private static LabeledSentence[] EightSentences() =>
        Names.Take(3).SelectMany(s => Names.Take(3).Where(o => o != s).Select(o => (s, o)))
            .Append(("Paul", "John")).Append(("Mary", "Paul"))
            .Select(p => new LabeledSentence { Tokens = [p.Item1, "loves", p.Item2], Tags = ["S", "V", "O"] })
            .ToArray();

    /// <summary>Small, fast options without a seed of their own.</summary>
    private static SequenceTaggerOptions Unseeded(int epochs = 2) => new()
    {
        Epochs = epochs, LearningRate = 0.05, EmbeddingSize = 4, Units = 6, BatchSize = 2,
    };

    private static float[] Weights(ITransformer model)
    {
        using var scope = NewDisposeScope();
        return TaggerChain.ResolveNetworks(model).Single().Model.GetWeights()
            .SelectMany(w => w.contiguous().data<float>().ToArray()).ToArray();
    }

    private static SequenceTaggerTransformer FitUnseeded(MLContext ml, SequenceTaggerOptions? options = null) =>
        ml.SequenceTagging().Trainers.SimpleRnn(options ?? Unseeded()).Fit(SvoData.TrainingView(ml));

    [TestMethod]
    public void Seed_Unset_ComesFromTheContext_SameSeedRepeats_OtherSeedDiffers()
    {
        var a = FitUnseeded(new MLContext(seed: 1));
        var b = FitUnseeded(new MLContext(seed: 1));
        var c = FitUnseeded(new MLContext(seed: 2));

        CollectionAssert.AreEqual(Weights(a), Weights(b), "the same context seed repeats the model exactly");
        Assert.AreEqual(a.Model.HyperParameters.Seed, b.Model.HyperParameters.Seed);
        Assert.AreNotEqual(a.Model.HyperParameters.Seed, c.Model.HyperParameters.Seed, "the seed used is drawn from the context");
        CollectionAssert.AreNotEqual(Weights(a), Weights(c), "another context seed gives another model");
    }

    [TestMethod]
    public void Seed_Set_WinsOverTheContext()
    {
        var options = Unseeded();
        options.Seed = 7;
        var a = FitUnseeded(new MLContext(seed: 1), options);
        var b = FitUnseeded(new MLContext(seed: 2), options);
        CollectionAssert.AreEqual(Weights(a), Weights(b));
        Assert.AreEqual(7, a.Model.HyperParameters.Seed);
    }

    private static List<LoggingEventArgs> CaptureTaggerLog(MLContext ml)
    {
        var messages = new List<LoggingEventArgs>();
        ml.Log += (_, e) =>
        {
            if (e.Source.StartsWith(SequenceTaggerEstimator.RegistrationName, StringComparison.Ordinal) && e.Kind == ChannelMessageKind.Info)
                lock (messages) messages.Add(e);
        };
        return messages;
    }

    private static string EpochLine(EpochReport r)
    {
        string validation = r.DevAccuracy is { } a ? FormattableString.Invariant($", validation accuracy {a:F4}") : "";
        return FormattableString.Invariant($"epoch {r.Epoch}/{r.Epochs}: loss {r.Loss:F4}{validation}, {r.Elapsed.TotalSeconds:F1} s");
    }

    [TestMethod]
    public void Log_ReceivesEveryEpoch_AndTheKeptEpoch()
    {
        var ml = new MLContext(seed: 1);
        var log = CaptureTaggerLog(ml);
        var reports = new List<EpochReport>();
        var options = SvoData.Options();
        options.Epochs = 3;
        options.OnEpoch = reports.Add;
        ml.SequenceTagging().Trainers.SimpleRnn(options).Fit(SvoData.TrainingView(ml));

        Assert.HasCount(3, reports);
        var expected = new List<string> { "training on 2 sentences; seed 1, 3 epochs" };
        expected.AddRange(reports.Select(EpochLine));
        expected.Add("kept epoch 3 of 3 trained (the last)");
        CollectionAssert.AreEqual(expected, log.Select(e => e.RawMessage).ToList());
        Assert.IsTrue(log.All(e => e.Source == "SequenceTagger; Training"), log[0].Source);
    }

    [TestMethod]
    public void Log_WithEarlyStopping_NamesTheKeptEpoch()
    {
        var ml = new MLContext(seed: 1);
        var log = CaptureTaggerLog(ml);
        var reports = new List<EpochReport>();
        var options = SvoData.Options();
        options.Epochs = 6;
        options.EarlyStoppingPatience = 2;
        options.OnEpoch = reports.Add;
        // Training data as validation: accuracy reaches 1 and cannot improve, so training stops 2 epochs later.
        ml.SequenceTagging().Trainers.SimpleRnn(options).Fit(SvoData.TrainingView(ml), SvoData.TrainingView(ml));

        var best = reports.First(r => r.DevAccuracy == reports.Max(x => x.DevAccuracy));
        Assert.AreEqual(reports[^1].Epoch - 2, best.Epoch, "stopped 2 epochs after the best");
        Assert.AreEqual(string.Create(CultureInfo.InvariantCulture,
                $"kept epoch {best.Epoch} of {reports[^1].Epoch} trained: best validation accuracy {best.DevAccuracy:F4} (early stopping, patience 2)"),
            log[^1].RawMessage);
        Assert.AreEqual("training on 2 sentences, validating on 2; seed 1, 6 epochs", log[0].RawMessage);
    }

    [TestMethod]
    public void Cancellation_BetweenEpochs_ThrowsAndGivesNoModel()
    {
        var ml = new MLContext(seed: 1);
        var log = CaptureTaggerLog(ml);
        using var cancellation = new CancellationTokenSource();
        var reports = new List<EpochReport>();
        var options = Unseeded(epochs: 5);
        options.CancellationToken = cancellation.Token;
        options.OnEpoch = r =>
        {
            reports.Add(r);
            if (r.Epoch == 2) cancellation.Cancel();
        };
        var pipeline = ml.Transforms.CopyColumns("Words", "Tokens")
            .Append(ml.SequenceTagging().Trainers.SimpleRnn(options));

        var e = Assert.ThrowsExactly<OperationCanceledException>(() => pipeline.Fit(SvoData.TrainingView(ml)));
        Assert.AreEqual(cancellation.Token, e.CancellationToken);
        Assert.HasCount(2, reports, "no epoch runs after the one that cancelled");
        Assert.IsFalse(log.Any(m => m.RawMessage.StartsWith("kept", StringComparison.Ordinal)), "no model was kept");

        // Already cancelled: nothing is trained at all.
        reports.Clear();
        Assert.ThrowsExactly<OperationCanceledException>(() => ml.SequenceTagging().Trainers.SimpleRnn(options).Fit(SvoData.TrainingView(ml)));
        Assert.IsEmpty(reports);
    }

    [TestMethod]
    public void ValidationFraction_WorksInsideAPipeline_WithKeyLabels()
    {
        var ml = new MLContext(seed: 1);
        var log = CaptureTaggerLog(ml);
        var reports = new List<EpochReport>();
        var options = Unseeded(epochs: 3);
        options.TokensColumnName = "Words";
        options.LabelColumnName = "TagKeys";
        options.ValidationFraction = 0.25;
        options.OnEpoch = reports.Add;
        var pipeline = ml.Transforms.CopyColumns("Words", "Tokens")
            .Append(ml.Transforms.Conversion.MapValueToKey("TagKeys", "Tags"))
            .Append(ml.SequenceTagging().Trainers.SimpleRnn(options));
        var model = pipeline.Fit(ml.Data.LoadFromEnumerable(EightSentences()));

        Assert.IsNotNull(model);
        Assert.HasCount(3, reports);
        // 2 of 8 sentences (6 tokens) held out: every accuracy is a multiple of 1/6.
        foreach (var r in reports)
            Assert.AreEqual(Math.Round(r.DevAccuracy!.Value * 6), r.DevAccuracy.Value * 6, 1e-9, $"epoch {r.Epoch}: {r.DevAccuracy}");
        StringAssert.StartsWith(log[0].RawMessage, "training on 6 sentences, validating on 2; seed ");
    }

    [TestMethod]
    public void ValidationSplit_IsSeeded_Disjoint_AndKeepsOrder()
    {
        var tokens = Enumerable.Range(0, 20).Select(i => new[] { $"w{i}" }).ToList();
        var tags = Enumerable.Range(0, 20).Select(i => new[] { $"t{i}" }).ToList();
        var a = ValidationSplit.Split(tokens, tags, 0.25, seed: 3);
        var b = ValidationSplit.Split(tokens, tags, 0.25, seed: 3);
        var c = ValidationSplit.Split(tokens, tags, 0.25, seed: 4);

        Assert.HasCount(15, a.Tokens);
        Assert.HasCount(5, a.ValidationTokens);
        CollectionAssert.AreEqual(a.ValidationTokens, b.ValidationTokens, "same seed, same split");
        CollectionAssert.AreNotEqual(a.ValidationTokens, c.ValidationTokens, "another seed, another split");
        var order = a.Tokens.Concat(a.ValidationTokens).Select(t => int.Parse(t[0][1..], CultureInfo.InvariantCulture)).ToList();
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 20).ToList(), order, "every sentence exactly once");
        CollectionAssert.AreEqual(order.Take(15).Order().ToList(), order.Take(15).ToList(), "training part keeps the data's order");
        for (int i = 0; i < a.Tokens.Count; i++) Assert.AreEqual("t" + a.Tokens[i][0][1..], a.Tags[i][0], "tags stay with their tokens");

        var one = ValidationSplit.Split([["x"], ["y"]], [["X"], ["Y"]], 0.01, seed: 1);
        Assert.HasCount(1, one.ValidationTokens, "at least one sentence is held out");
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => ValidationSplit.Split([["x"]], [["X"]], 0.5, seed: 1));
        Assert.AreEqual("ValidationFraction 0.5 holds out 1 of 1 training sentence(s) and leaves none to train on; give at least 2 sentences or set ValidationFraction to 0", e.Message);
    }

    [TestMethod]
    public void ValidationFraction_AndValidationData_AreExclusive()
    {
        var ml = new MLContext(seed: 1);
        var options = Unseeded();
        options.ValidationFraction = 0.5;
        var e = Assert.ThrowsExactly<ArgumentException>(() =>
            ml.SequenceTagging().Trainers.SimpleRnn(options).Fit(SvoData.TrainingView(ml), SvoData.TrainingView(ml)));
        StringAssert.StartsWith(e.Message, "validation data given while ValidationFraction is 0.5; use one or the other");
    }

    [TestMethod]
    public void SimpleOverload_TakesLabelThenInputsThenSettings()
    {
        var ml = new MLContext(seed: 1);
        var options = ml.SequenceTagging().Trainers.SimpleRnn("TagKeys", "Words", "Out", 3, 5, 7, 9, 0.5).Options;
        Assert.AreEqual("TagKeys", options.LabelColumnName);
        Assert.AreEqual("Words", options.TokensColumnName);
        Assert.AreEqual("Out", options.PredictedLabelColumnName);
        Assert.AreEqual((3, 5, 7, 9, 0.5), (options.Epochs, options.Units, options.EmbeddingSize, options.BatchSize, options.LearningRate));
        Assert.IsNull(options.Seed, "the seed comes from the context");

        var defaults = ml.SequenceTagging().Trainers.SimpleRnn().Options;
        var reference = new SequenceTaggerOptions();
        Assert.AreEqual((reference.Epochs, reference.Units, reference.EmbeddingSize, reference.BatchSize, reference.LearningRate),
            (defaults.Epochs, defaults.Units, defaults.EmbeddingSize, defaults.BatchSize, defaults.LearningRate));

        var e = Assert.ThrowsExactly<ArgumentException>(() => ml.SequenceTagging().Trainers.SimpleRnn(units: 1_000_000));
        Assert.AreEqual("Units must be at most 8192; received 1000000. (Parameter 'Units')", e.Message);
    }

    [TestMethod]
    public void ModelParameters_OfALoadedChain_GiveTagsVocabularyHyperParametersAndArchitecture()
    {
        var ml = new MLContext(seed: 1);
        var model = SvoData.FitScoringModel(ml);
        var dir = Directory.CreateTempSubdirectory("mlnetrnn-test-");
        try
        {
            var path = Path.Combine(dir.FullName, "model.zip");
            ml.Model.Save(model, SvoData.TrainingView(ml).Schema, path);
            var loaded = new MLContext().Model.Load(path, out _);

            var parameters = ml.SequenceTagging().GetModelParameters(loaded);
            CollectionAssert.AreEqual(new[] { "O", "S", "V" }, parameters.TagNames.ToArray());
            CollectionAssert.AreEquivalent(new[] { "jane", "john", "loves" }, parameters.Vocabulary.ToArray(), "lower-cased words, the default");
            Assert.AreEqual(5, parameters.VocabularySize, "3 tokens + padding + out-of-vocabulary");
            var hp = parameters.HyperParameters;
            Assert.AreEqual((8, 16, 80, 2, 0.05, 1), (hp.EmbeddingSize, hp.Units, hp.Epochs, hp.BatchSize, hp.LearningRate, hp.Seed));
            var trained = ml.SequenceTagging().GetModelParameters(model);
            Assert.AreEqual(trained.Architecture, parameters.Architecture, "the loaded network is the trained one");
            StringAssert.Contains(parameters.Architecture, "\"class_name\":\"SimpleRNN\"", "SimpleRnn trains SimpleRNN cells");
            Assert.AreEqual(trained.ParameterCount, parameters.ParameterCount);
            Assert.AreEqual(trained.Summary, parameters.Summary);
            hp.Units = 1;
            Assert.AreEqual(16, parameters.HyperParameters.Units, "a copy: the model cannot be changed through it");

            var notATagger = ml.Transforms.CopyColumns("a", "Tokens").Fit(SvoData.TrainingView(ml));
            var e = Assert.ThrowsExactly<ArgumentException>(() => ml.SequenceTagging().GetModelParameters(notATagger));
            StringAssert.StartsWith(e.Message, "the model (ColumnCopyingTransformer) holds no MlNetRnn sequence tagger");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void PredictionClass_GivesEmptyArrays_ForAnEmptySentence()
    {
        var ml = new MLContext(seed: 1);
        using var engine = ml.Model.CreatePredictionEngine<Sentence, SequenceTaggerPrediction>(SvoData.FitScoringModel(ml));
        var empty = engine.Predict(new Sentence { Tokens = [] });
        Assert.IsEmpty(empty.PredictedTags);
        Assert.IsEmpty(empty.Score);
        Assert.IsEmpty(empty.Probabilities);
        var tagged = engine.Predict(new Sentence { Tokens = ["John", "loves", "Jane"] });
        CollectionAssert.AreEqual(SvoData.Expected, tagged.PredictedTags);
        Assert.HasCount(9, tagged.Probabilities);
    }

    [TestMethod]
    public void OnBatch_ReportsEveryBatchOfEveryEpoch_EndingAtTheEpochLoss()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromConllU(DataPaths.RepoDataset("sample.conllu"));
        var batches = new List<BatchReport>();
        var epochs = new List<EpochReport>();
        var options = new SequenceTaggerOptions
        {
            Epochs = 2, BatchSize = 16, Units = 4, EmbeddingSize = 4, CharFeatures = CharFeatureKind.None, Seed = 1,
            OnBatch = batches.Add, OnEpoch = epochs.Add,
        };
        ml.SequenceTagging().Trainers.Recurrent(options).Fit(data);
        // 41 sentences in batches of 16: 3 batches per epoch.
        var expected = new[] { (1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3) };
        CollectionAssert.AreEqual(expected, batches.Select(b => (b.Epoch, b.Batch)).ToArray());
        Assert.IsTrue(batches.All(b => b is { Epochs: 2, Batches: 3 }), string.Join(", ", batches));
        // The running loss after an epoch's last batch is that epoch's loss.
        Assert.HasCount(2, epochs);
        Assert.AreEqual(epochs[0].Loss, batches[2].Loss);
        Assert.AreEqual(epochs[1].Loss, batches[5].Loss);
    }
}
