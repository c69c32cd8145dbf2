using System.Globalization;

namespace MlNetRnn.Models;

/// <summary>Hyper-parameters of the Embedding → SimpleRNN → TimeDistributed(Dense softmax) tagger.</summary>
public class SequenceTaggerHyperParameters
{
    // Defaults, shared with the catalog's simple overload (default arguments must be constants).
    internal const int DefaultEmbeddingSize = 64;
    internal const int DefaultUnits = 128;
    internal const int DefaultEpochs = 10;
    internal const int DefaultBatchSize = 32;
    internal const double DefaultLearningRate = 1e-3;

    /// <summary>Largest <see cref="EmbeddingSize"/> and <see cref="Units"/>: beyond it libtorch's allocations
    /// (units² recurrent weights, times four with gradients and Adam's moments) fail or abort the process.</summary>
    public const int MaxLayerSize = 8192;

    /// <summary>Largest <see cref="BatchSize"/> (sentences per batch).</summary>
    public const int MaxBatchSize = 65536;

    /// <summary>Embedding width, 1 to <see cref="MaxLayerSize"/>. Default 64.</summary>
    public int EmbeddingSize { get; set; } = DefaultEmbeddingSize;

    /// <summary>SimpleRNN units, 1 to <see cref="MaxLayerSize"/>. Default 128.</summary>
    public int Units { get; set; } = DefaultUnits;

    /// <summary>Training epochs, at least 1. Default 10.</summary>
    public int Epochs { get; set; } = DefaultEpochs;

    /// <summary>Sentences per batch, 1 to <see cref="MaxBatchSize"/>. Default 32.</summary>
    public int BatchSize { get; set; } = DefaultBatchSize;

    /// <summary>Adam learning rate, a positive finite number. Default 0.001.</summary>
    public double LearningRate { get; set; } = DefaultLearningRate;

    /// <summary>Seed of the network: initial weights, shuffling and token dropout. Default 0. The ML.NET
    /// estimator sets it from <c>SequenceTaggerOptions.Seed</c> or, when that is unset, from the
    /// <c>MLContext</c>'s seeded random source; a trained network reports the seed it used.</summary>
    public int Seed { get; set; }

    /// <summary>Tokens seen fewer times than this map to the out-of-vocabulary id; at least 1. Default 1 (keep every token).</summary>
    public int VocabularyMinCount { get; set; } = 1;

    /// <summary>
    /// Probability that a token seen only once in training is replaced by the out-of-vocabulary id at each
    /// training step, so that the out-of-vocabulary embedding learns what unseen words look like; in [0, 1).
    /// Default 0.25.
    /// </summary>
    public double RareTokenDropout { get; set; } = 0.25;

    /// <summary>
    /// With dev data: stop after this many epochs without a better dev accuracy, and keep the weights of the
    /// best epoch (Keras <c>EarlyStopping(monitor="val_accuracy", patience, restore_best_weights=True)</c>).
    /// At least 0. Default 0: off, train every epoch and keep the last weights.
    /// </summary>
    public int EarlyStoppingPatience { get; set; }

    /// <summary>Checks every value, naming the first that is out of range, what it received and what is allowed.</summary>
    /// <param name="displayName">Maps a property name (e.g. <c>"Units"</c>) to the name the caller knows it by
    /// (e.g. <c>"--units"</c> on a command line) for the message. Default: the property name.</param>
    /// <exception cref="ArgumentException">A value is out of range; <see cref="ArgumentException.ParamName"/>
    /// is the property name.</exception>
    public virtual void Validate(Func<string, string>? displayName = null)
    {
        var check = new RangeCheck(displayName);
        check.Between(EmbeddingSize, 1, MaxLayerSize, nameof(EmbeddingSize));
        check.Between(Units, 1, MaxLayerSize, nameof(Units));
        check.Between(Epochs, 1, int.MaxValue, nameof(Epochs));
        check.Between(BatchSize, 1, MaxBatchSize, nameof(BatchSize));
        check.That(LearningRate > 0 && double.IsFinite(LearningRate), LearningRate, "a positive finite number", nameof(LearningRate));
        check.Between(VocabularyMinCount, 1, int.MaxValue, nameof(VocabularyMinCount));
        check.Between(EarlyStoppingPatience, 0, int.MaxValue, nameof(EarlyStoppingPatience));
        check.That(RareTokenDropout is >= 0 and < 1, RareTokenDropout, "in [0, 1)", nameof(RareTokenDropout));
    }

    /// <summary>A plain copy of the hyper-parameters only (no options of a derived class), with <paramref name="seed"/>.</summary>
    internal SequenceTaggerHyperParameters CopyHyperParameters(int seed) => new()
    {
        EmbeddingSize = EmbeddingSize,
        Units = Units,
        Epochs = Epochs,
        BatchSize = BatchSize,
        LearningRate = LearningRate,
        Seed = seed,
        VocabularyMinCount = VocabularyMinCount,
        RareTokenDropout = RareTokenDropout,
        EarlyStoppingPatience = EarlyStoppingPatience,
    };

    /// <summary>Writes the messages of <see cref="Validate"/>: "NAME must be ALLOWED; received VALUE."</summary>
    internal readonly struct RangeCheck(Func<string, string>? displayName)
    {
        /// <summary>Throws unless <paramref name="min"/> ≤ <paramref name="value"/> ≤ <paramref name="max"/>
        /// (<see cref="int.MaxValue"/> as <paramref name="max"/> means no upper bound); the message names the
        /// bound that was crossed.</summary>
        public void Between(int value, int min, int max, string property)
        {
            string allowed = value < min
                ? (min == 1 ? "positive" : string.Create(CultureInfo.InvariantCulture, $"at least {min}"))
                : string.Create(CultureInfo.InvariantCulture, $"at most {max}");
            That(value >= min && value <= max, value, allowed, property);
        }

        /// <summary>Throws unless <paramref name="ok"/>.</summary>
        public void That(bool ok, IFormattable value, string allowed, string property)
        {
            if (ok) return;
            string name = displayName?.Invoke(property) ?? property;
            throw new ArgumentException(
                $"{name} must be {allowed}; received {value.ToString(null, CultureInfo.InvariantCulture)}.", property);
        }
    }
}
