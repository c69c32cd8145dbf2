using MlNetRnn.MlNet;
using MlNetRnn.Models;

namespace MlNetRnn.Tests.MlNet;

/// <summary><see cref="SequenceTaggerHyperParameters.Validate"/>: one source of truth for ranges, with the
/// caller's names for the values.</summary>
[TestClass]
public sealed class SequenceTaggerValidationTests
{
    private static string CliName(string property) => property switch
    {
        nameof(SequenceTaggerHyperParameters.EmbeddingSize) => "--embedding",
        nameof(SequenceTaggerHyperParameters.BatchSize) => "--batch-size",
        _ => "--" + property.ToLowerInvariant(),
    };

    private static string Message(SequenceTaggerHyperParameters hp, Func<string, string>? names = null) =>
        Assert.ThrowsExactly<ArgumentException>(() => hp.Validate(names)).Message;

    [TestMethod]
    public void Defaults_AreValid()
    {
        new SequenceTaggerHyperParameters().Validate();
        new SequenceTaggerOptions().Validate();
    }

    [TestMethod]
    public void OutOfRange_SaysWhatWasReceivedAndWhatIsAllowed_UnderTheCallersName()
    {
        Assert.AreEqual("--units must be at most 8192; received 1000000. (Parameter 'Units')",
            Message(new SequenceTaggerHyperParameters { Units = 1_000_000 }, CliName));
        Assert.AreEqual("--embedding must be at most 8192; received 2000000000. (Parameter 'EmbeddingSize')",
            Message(new SequenceTaggerHyperParameters { EmbeddingSize = 2_000_000_000 }, CliName));
        Assert.AreEqual("Units must be positive; received 0. (Parameter 'Units')", Message(new SequenceTaggerHyperParameters { Units = 0 }));
        Assert.AreEqual("--epochs must be positive; received 0. (Parameter 'Epochs')",
            Message(new SequenceTaggerHyperParameters { Epochs = 0 }, CliName));
        Assert.AreEqual("--batch-size must be at most 65536; received 65537. (Parameter 'BatchSize')",
            Message(new SequenceTaggerHyperParameters { BatchSize = 65_537 }, CliName));
        Assert.AreEqual("LearningRate must be a positive number up to 3.4E+38; received NaN. (Parameter 'LearningRate')",
            Message(new SequenceTaggerHyperParameters { LearningRate = double.NaN }));
        Assert.AreEqual("LearningRate must be a positive number up to 3.4E+38; received Infinity. (Parameter 'LearningRate')",
            Message(new SequenceTaggerHyperParameters { LearningRate = double.PositiveInfinity }));
        // Finite as a double but not as the float32 libtorch reads.
        Assert.AreEqual("LearningRate must be a positive number up to 3.4E+38; received 1E+300. (Parameter 'LearningRate')",
            Message(new SequenceTaggerHyperParameters { LearningRate = 1e300 }));
        Assert.AreEqual("VocabularyMinCount must be positive; received 0. (Parameter 'VocabularyMinCount')",
            Message(new SequenceTaggerHyperParameters { VocabularyMinCount = 0 }));
        Assert.AreEqual("EarlyStoppingPatience must be at least 0; received -1. (Parameter 'EarlyStoppingPatience')",
            Message(new SequenceTaggerHyperParameters { EarlyStoppingPatience = -1 }));
        Assert.AreEqual("RareTokenDropout must be in [0, 1); received 1. (Parameter 'RareTokenDropout')",
            Message(new SequenceTaggerHyperParameters { RareTokenDropout = 1 }));
        Assert.AreEqual("ValidationFraction must be in [0, 0.5]; received 0.6. (Parameter 'ValidationFraction')",
            Message(new SequenceTaggerOptions { ValidationFraction = 0.6 }));
        Assert.AreEqual("TokensColumnName must name a column; received ''. (Parameter 'TokensColumnName')",
            Message(new SequenceTaggerOptions { TokensColumnName = "" }));
    }

    [TestMethod]
    public void UpperBounds_AreAccepted()
    {
        new SequenceTaggerHyperParameters
        {
            Units = SequenceTaggerHyperParameters.MaxLayerSize,
            EmbeddingSize = SequenceTaggerHyperParameters.MaxLayerSize,
            BatchSize = SequenceTaggerHyperParameters.MaxBatchSize,
        }.Validate();
        new SequenceTaggerOptions { ValidationFraction = SequenceTaggerOptions.MaxValidationFraction }.Validate();
    }

    [TestMethod]
    public void NativeSetting_IsApplied()
    {
        Assert.IsTrue(MlNetRnn.Utils.EnsureNativeSettings(), NativeSettings.Problem);
        Assert.IsNull(NativeSettings.Problem);
    }
}
