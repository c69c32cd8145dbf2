using Microsoft.ML;
using MlNetRnn.MlNet;
using MlNetRnn.Models;
using MlNetRnn.Training;

namespace MlNetRnn.Tests.Tagging;

/// <summary>The tagger's architecture options: ranges, copies, the ML.NET entry points and the kept epoch.</summary>
[TestClass]
public sealed class TaggerOptionsTests
{
    private static string Message(SequenceTaggerHyperParameters hp) =>
        Assert.ThrowsExactly<ArgumentException>(() => hp.Validate(p => "--" + p.ToLowerInvariant())).Message;

    [TestMethod]
    public void NewSizes_AreBounded_AndNamedUnderTheCallersName()
    {
        Assert.AreEqual("--layers must be at most 8; received 9. (Parameter 'Layers')", Message(new SequenceTaggerHyperParameters { Layers = 9 }));
        Assert.AreEqual("--layers must be positive; received 0. (Parameter 'Layers')", Message(new SequenceTaggerHyperParameters { Layers = 0 }));
        Assert.AreEqual("--charembeddingsize must be at most 8192; received 10000. (Parameter 'CharEmbeddingSize')",
            Message(new SequenceTaggerHyperParameters { CharEmbeddingSize = 10_000 }));
        Assert.AreEqual("--charfilters must be positive; received 0. (Parameter 'CharFilters')", Message(new SequenceTaggerHyperParameters { CharFilters = 0 }));
        Assert.AreEqual("--charkernelsize must be at most 32; received 33. (Parameter 'CharKernelSize')",
            Message(new SequenceTaggerHyperParameters { CharKernelSize = 33 }));
        Assert.AreEqual("--charunits must be at most 8192; received 8193. (Parameter 'CharUnits')", Message(new SequenceTaggerHyperParameters { CharUnits = 8193 }));
        Assert.AreEqual("--maxcharspertoken must be at most 256; received 1000. (Parameter 'MaxCharsPerToken')",
            Message(new SequenceTaggerHyperParameters { MaxCharsPerToken = 1000 }));
        Assert.AreEqual("--dropout must be in [0, 1); received 1. (Parameter 'Dropout')", Message(new SequenceTaggerHyperParameters { Dropout = 1 }));
        Assert.AreEqual("--learningratedecay must be in (0, 1]; received 0. (Parameter 'LearningRateDecay')",
            Message(new SequenceTaggerHyperParameters { LearningRateDecay = 0 }));
        Assert.AreEqual("--clipnorm must be 0 (no clipping) or a positive number up to 3.4E+38; received -1. (Parameter 'ClipNorm')",
            Message(new SequenceTaggerHyperParameters { ClipNorm = -1 }));
        Assert.AreEqual("--cell must be Simple, Lstm or Gru; received 7. (Parameter 'Cell')", Message(new SequenceTaggerHyperParameters { Cell = (TaggerCell)7 }));
        Assert.AreEqual("--charfeatures must be None, Cnn or BiLstm; received -1. (Parameter 'CharFeatures')",
            Message(new SequenceTaggerHyperParameters { CharFeatures = (CharFeatureKind)(-1) }));
    }

    [TestMethod]
    public void WeightAveraging_IsUsedFrom10Over1MinusMomentumSteps()
    {
        // 1,000 steps for μ = 0.99: EWT's 196 batches of 64 an epoch for 6 epochs, not 600 sentences (10 batches) for 99.
        Assert.AreEqual((false, true, true, false), (SequenceTaggerNetwork.AveragingPays(0.99, 999), SequenceTaggerNetwork.AveragingPays(0.99, 1000),
            SequenceTaggerNetwork.AveragingPays(0.9, 100), SequenceTaggerNetwork.AveragingPays(0, 1_000_000)));
    }

    [TestMethod]
    [DataRow(6, false)]   // 3 sentences in batches of 1 for 6 epochs: 18 steps, under 10 / (1 − 0.5) = 20
    [DataRow(7, true)]    // 21 steps
    public void Training_AveragesWeightsOnlyWhenItTakesEnoughSteps(int epochs, bool averaged)
    {
        string[][] tokens = [["the", "dog", "runs"], ["a", "cat", "sleeps"], ["the", "cat", "runs"]];
        string[][] tags = [["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB"]];
        using var network = SequenceTaggerNetwork.Train(tokens, tags, new SequenceTaggerHyperParameters
        {
            CharFeatures = CharFeatureKind.None, EmbeddingSize = 4, Units = 4, BatchSize = 1, Epochs = epochs, EmaMomentum = 0.5, Seed = 2,
        });
        Assert.AreEqual(averaged, ((ITrainableModel)network.Model).Optimizer.UseEma);
    }

    [TestMethod]
    public void Defaults_AreTheConfigurationChosenOnEwtDev()
    {
        var hp = new SequenceTaggerHyperParameters();
        Assert.AreEqual((TaggerCell.Lstm, true, 1, 100, 150), (hp.Cell, hp.Bidirectional, hp.Layers, hp.EmbeddingSize, hp.Units));
        Assert.AreEqual((CharFeatureKind.Cnn, 30, 100, 3, 50, 12), (hp.CharFeatures, hp.CharEmbeddingSize, hp.CharFilters, hp.CharKernelSize, hp.CharUnits, hp.MaxCharsPerToken));
        Assert.AreEqual((0.33, true, (string?)null), (hp.Dropout, hp.Lowercase, hp.EmbeddingsFile));
        Assert.AreEqual((12, 64, 8e-3, 0.85, 0.0, 2), (hp.Epochs, hp.BatchSize, hp.LearningRate, hp.LearningRateDecay, hp.ClipNorm, hp.EarlyStoppingPatience));
        Assert.AreEqual((1, 0.25, 0), (hp.VocabularyMinCount, hp.RareTokenDropout, hp.Seed));
        Assert.AreEqual((true, 0.9, 0.25, 0.99), (hp.CharBoundaryMarkers, hp.AdamBeta2, hp.WordDropout, hp.EmaMomentum));
        var chosen = TaggerArchitectureTests.CharCnnBiLstm();
        foreach (var property in typeof(SequenceTaggerHyperParameters).GetProperties().Where(p => p.CanWrite && p.Name is not (nameof(hp.Seed) or nameof(hp.Epochs) or nameof(hp.BatchSize) or nameof(hp.LearningRate) or nameof(hp.LearningRateDecay) or nameof(hp.ClipNorm) or nameof(hp.EarlyStoppingPatience))))
        {
            Assert.AreEqual(property.GetValue(hp), property.GetValue(chosen), $"{property.Name}: the tests' spelled-out tagger is the default architecture");
        }
    }

    [TestMethod]
    public void Version1Architecture_IsRecognisedAndForced()
    {
        Assert.IsFalse(TaggerArchitectureTests.CharCnnBiLstm().IsVersion1Architecture);
        var hp = new SequenceTaggerHyperParameters { Units = 7, EmbeddingSize = 5, Seed = 4 }.WithVersion1Architecture();
        Assert.IsTrue(hp.IsVersion1Architecture);
        Assert.AreEqual((7, 5, 4), (hp.Units, hp.EmbeddingSize, hp.Seed));
    }

    [TestMethod]
    public void Estimator_CopiesEveryOption_SimpleRnnForcesTheSimpleCell()
    {
        var ml = new MLContext(seed: 1);
        var options = new SequenceTaggerOptions
        {
            Cell = TaggerCell.Gru, Bidirectional = false, Layers = 2, CharFeatures = CharFeatureKind.BiLstm, CharUnits = 9, Dropout = 0.1,
            Lowercase = true, LearningRateDecay = 0.9, ClipNorm = 1, MaxCharsPerToken = 16,
        };
        var recurrent = ml.SequenceTagging().Trainers.Recurrent(options).Options;
        Assert.AreEqual((TaggerCell.Gru, false, 2, CharFeatureKind.BiLstm, 9, 0.1, true, 0.9, 1.0, 16),
            (recurrent.Cell, recurrent.Bidirectional, recurrent.Layers, recurrent.CharFeatures, recurrent.CharUnits, recurrent.Dropout,
             recurrent.Lowercase, recurrent.LearningRateDecay, recurrent.ClipNorm, recurrent.MaxCharsPerToken));
        var simple = ml.SequenceTagging().Trainers.SimpleRnn(options).Options;
        Assert.AreEqual((TaggerCell.Simple, 2, CharFeatureKind.BiLstm), (simple.Cell, simple.Layers, simple.CharFeatures));
        Assert.AreEqual(TaggerCell.Gru, options.Cell, "the caller's options are not changed");

        var copy = options.CopyHyperParameters(seed: 5);
        foreach (var property in typeof(SequenceTaggerHyperParameters).GetProperties().Where(p => p.Name != nameof(SequenceTaggerHyperParameters.Seed)))
        {
            Assert.AreEqual(property.GetValue(options), property.GetValue(copy), property.Name);
        }
    }

    [TestMethod]
    public void KeptEpoch_IsTheBestDevEpochWithEarlyStopping_ElseEachEpoch()
    {
        string[][] tokens = [["the", "dog", "runs"], ["a", "cat", "sleeps"]];
        string[][] tags = [["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB"]];
        // Dev data the grammar contradicts: the best dev epoch comes early.
        string[][] devTags = [["DET", "DET", "DET"], ["DET", "DET", "DET"]];
        var hp = new SequenceTaggerHyperParameters
        {
            EmbeddingSize = 4, Units = 4, CharFeatures = CharFeatureKind.None, Epochs = 30, LearningRate = 0.05, Seed = 3, EarlyStoppingPatience = 2,
        };
        var reports = new List<EpochReport>();
        using (SequenceTaggerNetwork.Train(tokens, tags, hp, tokens, devTags, reports.Add)) { }
        var best = reports.First(r => r.DevAccuracy == reports.Max(x => x.DevAccuracy));
        Assert.AreEqual(best.Epoch, reports[^1].KeptEpoch);
        Assert.AreEqual(best.Epoch + 2, reports[^1].Epoch);
        Assert.IsTrue(reports.All(r => r.KeptEpoch <= r.Epoch));

        reports.Clear();
        hp.Epochs = 3;
        using (SequenceTaggerNetwork.Train(tokens, tags, hp, onEpoch: reports.Add)) { }
        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, reports.Select(r => r.KeptEpoch).ToArray(), "without dev data every epoch is kept");
    }
}
