namespace MlNetRnn.Models;

/// <summary>Hyper-parameters of the Embedding → SimpleRNN → TimeDistributed(Dense softmax) tagger.</summary>
public class SequenceTaggerHyperParameters
{
    /// <summary>Embedding width. Default 64.</summary>
    public int EmbeddingSize { get; set; } = 64;

    /// <summary>SimpleRNN units. Default 128.</summary>
    public int Units { get; set; } = 128;

    /// <summary>Training epochs. Default 10.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Sentences per batch. Default 32.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Adam learning rate. Default 0.001.</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Seed for initial weights, shuffling and token dropout. Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>Tokens seen fewer times than this map to the out-of-vocabulary id. Default 1 (keep every token).</summary>
    public int VocabularyMinCount { get; set; } = 1;

    /// <summary>
    /// Probability that a token seen only once in training is replaced by the out-of-vocabulary id at each
    /// training step, so that the out-of-vocabulary embedding learns what unseen words look like. Default 0.25.
    /// </summary>
    public double RareTokenDropout { get; set; } = 0.25;

    /// <summary>
    /// With dev data: stop after this many epochs without a better dev accuracy, and keep the weights of the
    /// best epoch (Keras <c>EarlyStopping(monitor="val_accuracy", patience, restore_best_weights=True)</c>).
    /// Default 0: off, train every epoch and keep the last weights.
    /// </summary>
    public int EarlyStoppingPatience { get; set; }

    /// <summary>Checks every value, naming the first that is out of range.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        Positive(EmbeddingSize, nameof(EmbeddingSize));
        Positive(Units, nameof(Units));
        if (Epochs < 0) throw new ArgumentException($"{nameof(Epochs)} must be ≥ 0; received {Epochs}.", nameof(Epochs));
        Positive(BatchSize, nameof(BatchSize));
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentException($"{nameof(LearningRate)} must be a positive number; received {LearningRate}.", nameof(LearningRate));
        Positive(VocabularyMinCount, nameof(VocabularyMinCount));
        if (EarlyStoppingPatience < 0)
            throw new ArgumentException($"{nameof(EarlyStoppingPatience)} must be ≥ 0; received {EarlyStoppingPatience}.", nameof(EarlyStoppingPatience));
        if (RareTokenDropout is < 0 or >= 1 || double.IsNaN(RareTokenDropout))
            throw new ArgumentException($"{nameof(RareTokenDropout)} must be in [0, 1); received {RareTokenDropout}.", nameof(RareTokenDropout));
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0) throw new ArgumentException($"{name} must be positive; received {value}.", name);
    }
}
