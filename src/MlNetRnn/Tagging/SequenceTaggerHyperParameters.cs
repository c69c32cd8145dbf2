using System.Globalization;

namespace MlNetRnn.Models;

/// <summary>
/// Hyper-parameters of the tagger: word embedding (+ optional character encoder) → Concatenate → Dropout →
/// <see cref="Layers"/> recurrent layers (optionally bidirectional) → TimeDistributed(Dense(tags, softmax)), and how
/// it trains. The first tagger (format version 1) is <c>Cell = Simple, Bidirectional = false, CharFeatures = None,
/// Layers = 1, Dropout = 0, Lowercase = false</c>: Embedding → SimpleRNN → TimeDistributed(Dense).
/// </summary>
public class SequenceTaggerHyperParameters
{
    // Defaults, shared with the catalog's simple overload (default arguments must be constants).
    internal const int DefaultEmbeddingSize = 100;
    internal const int DefaultUnits = 150;
    internal const int DefaultEpochs = 12;
    internal const int DefaultBatchSize = 64;
    internal const double DefaultLearningRate = 8e-3;

    /// <summary>Largest <see cref="EmbeddingSize"/> and <see cref="Units"/>: beyond it libtorch's allocations
    /// (units² recurrent weights, times four with gradients and Adam's moments) fail or abort the process.</summary>
    public const int MaxLayerSize = 8192;

    /// <summary>Largest <see cref="BatchSize"/> (sentences per batch).</summary>
    public const int MaxBatchSize = 65536;

    /// <summary>Largest <see cref="Layers"/>.</summary>
    public const int MaxLayers = 8;

    /// <summary>Largest <see cref="MaxCharsPerToken"/>.</summary>
    public const int MaxCharsPerTokenLimit = 256;

    /// <summary>Largest <see cref="CharKernelSize"/>.</summary>
    public const int MaxCharKernelSize = 32;

    /// <summary>The recurrent cell. Default <see cref="TaggerCell.Lstm"/>.</summary>
    public TaggerCell Cell { get; set; } = TaggerCell.Lstm;

    /// <summary>Whether each recurrent layer reads the sentence both ways (Keras <c>Bidirectional</c>, outputs
    /// concatenated). Default true.</summary>
    public bool Bidirectional { get; set; } = true;

    /// <summary>Stacked recurrent layers, 1 to <see cref="MaxLayers"/>. Default 1.</summary>
    public int Layers { get; set; } = 1;

    /// <summary>Word embedding width, 1 to <see cref="MaxLayerSize"/>. Default 100.</summary>
    public int EmbeddingSize { get; set; } = DefaultEmbeddingSize;

    /// <summary>Units of each recurrent layer (per direction), 1 to <see cref="MaxLayerSize"/>. Default 150.</summary>
    public int Units { get; set; } = DefaultUnits;

    /// <summary>The character encoder joined to the word embedding. Default <see cref="CharFeatureKind.Cnn"/>.</summary>
    public CharFeatureKind CharFeatures { get; set; } = CharFeatureKind.Cnn;

    /// <summary>Character embedding width, 1 to <see cref="MaxLayerSize"/>. Default 30.</summary>
    public int CharEmbeddingSize { get; set; } = 30;

    /// <summary>Filters of the character CNN (its output width per token), 1 to <see cref="MaxLayerSize"/>. Default 100.</summary>
    public int CharFilters { get; set; } = 100;

    /// <summary>Window of the character CNN, in characters, 1 to <see cref="MaxCharKernelSize"/>. Default 3.</summary>
    public int CharKernelSize { get; set; } = 3;

    /// <summary>Units per direction of the character BiLSTM (its output is twice as wide), 1 to <see cref="MaxLayerSize"/>. Default 50.</summary>
    public int CharUnits { get; set; } = 50;

    /// <summary>Characters read per token, 1 to <see cref="MaxCharsPerTokenLimit"/>; a longer token keeps its first
    /// and last characters (half each, the odd one at the start). Default 12: on EWT dev the same accuracy as 20
    /// (0.9516 both) with the character CNN 15% cheaper per epoch, as fewer batches are padded to one long token
    /// (docs/accuracy.md).</summary>
    public int MaxCharsPerToken { get; set; } = 12;

    /// <summary>Whether the character encoder reads each token between a begin-of-word and an end-of-word marker (two
    /// character ids of their own, after the vocabulary's), so that the CNN's windows tell prefixes and suffixes from
    /// the middle of a word. Default true.</summary>
    public bool CharBoundaryMarkers { get; set; } = true;

    /// <summary>Dropout rate after the embeddings and after each recurrent layer (training only), in [0, 1). Default 0.33.</summary>
    public double Dropout { get; set; } = 0.33;

    /// <summary>Whether word ids come from lower-cased tokens (the character encoder still sees the original case). Default true.</summary>
    public bool Lowercase { get; set; } = true;

    /// <summary>Optional pretrained word vectors: a word2vec/GloVe/fastText <c>.vec</c> text file, plain or gzipped (see
    /// <see cref="WordVectors"/>), of <see cref="EmbeddingSize"/> dimensions. Its words extend the vocabulary and its
    /// vectors start their embedding rows. Default null: none. (The <c>mlnetrnn train</c> command passes the project's
    /// <c>datasets/minilm-uncased-100d.vec.gz</c> unless told otherwise: on EWT dev 0.9582 against 0.9532 without.)</summary>
    public string? EmbeddingsFile { get; set; }

    /// <summary>Training epochs, at least 1. With dev data and <see cref="EarlyStoppingPatience"/>, the most it trains. Default 12
    /// (on EWT dev the simple cell with the default vectors still gains in epochs 11 and 12; the BiLSTM stops earlier).</summary>
    public int Epochs { get; set; } = DefaultEpochs;

    /// <summary>Sentences per batch, 1 to <see cref="MaxBatchSize"/>. Default 64.</summary>
    public int BatchSize { get; set; } = DefaultBatchSize;

    /// <summary>Adam learning rate, a positive finite number. Default 0.008.</summary>
    public double LearningRate { get; set; } = DefaultLearningRate;

    /// <summary>Adam's decay of the second moment (Keras <c>beta_2</c>), in (0, 1). Default 0.9 (Dozat and Manning's
    /// tagger setting; Keras's own default is 0.999).</summary>
    public double AdamBeta2 { get; set; } = 0.9;

    /// <summary>Momentum of an exponential moving average of the weights (Keras optimizer <c>use_ema</c> with this
    /// <c>ema_momentum</c>): dev is scored with the averaged weights and the network keeps them; in [0, 1), 0 turns it
    /// off. Default 0.99. Two departures from Keras, for small data: the momentum warms up as in TensorFlow's
    /// <c>ExponentialMovingAverage(num_updates)</c>, min(μ, (1 + t)/(10 + t)) at step t; and the average is used only when
    /// training runs at least 10/(1 − μ) steps (1,000 for 0.99; epochs × batches per epoch), the last weights otherwise.</summary>
    public double EmaMomentum { get; set; } = 0.99;

    /// <summary>The learning rate is multiplied by this after every epoch (Keras <c>LearningRateScheduler</c>); in (0, 1],
    /// 1 keeps it constant. Default 0.85.</summary>
    public double LearningRateDecay { get; set; } = 0.85;

    /// <summary>Largest norm of each weight's gradient (Keras <c>clipnorm</c>); a positive finite number, or 0 for no
    /// clipping. Default 0.</summary>
    public double ClipNorm { get; set; }

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
    /// Word dropout α over every word (Kiperwasser and Goldberg): at each training step a word seen c times is replaced
    /// by the out-of-vocabulary id with probability α / (α + c), beside <see cref="RareTokenDropout"/>; at least 0, 0
    /// turns it off. Default 0.25.
    /// </summary>
    public double WordDropout { get; set; } = 0.25;

    /// <summary>
    /// With dev data: stop after this many epochs without a better dev accuracy, and keep the weights of the
    /// best epoch (Keras <c>EarlyStopping(monitor="val_accuracy", patience, restore_best_weights=True)</c>).
    /// At least 0; 0 turns it off (train every epoch and keep the last weights). Default 2.
    /// </summary>
    public int EarlyStoppingPatience { get; set; } = 2;

    /// <summary>Checks every value, naming the first that is out of range, what it received and what is allowed.</summary>
    /// <param name="displayName">Maps a property name (e.g. <c>"Units"</c>) to the name the caller knows it by
    /// (e.g. <c>"--units"</c> on a command line) for the message. Default: the property name.</param>
    /// <exception cref="ArgumentException">A value is out of range; <see cref="ArgumentException.ParamName"/>
    /// is the property name.</exception>
    public virtual void Validate(Func<string, string>? displayName = null)
    {
        var check = new RangeCheck(displayName);
        check.That(Enum.IsDefined(Cell), (int)Cell, "Simple, Lstm or Gru", nameof(Cell));
        check.Between(Layers, 1, MaxLayers, nameof(Layers));
        check.Between(EmbeddingSize, 1, MaxLayerSize, nameof(EmbeddingSize));
        check.Between(Units, 1, MaxLayerSize, nameof(Units));
        check.That(Enum.IsDefined(CharFeatures), (int)CharFeatures, "None, Cnn or BiLstm", nameof(CharFeatures));
        check.Between(CharEmbeddingSize, 1, MaxLayerSize, nameof(CharEmbeddingSize));
        check.Between(CharFilters, 1, MaxLayerSize, nameof(CharFilters));
        check.Between(CharKernelSize, 1, MaxCharKernelSize, nameof(CharKernelSize));
        check.Between(CharUnits, 1, MaxLayerSize, nameof(CharUnits));
        check.Between(MaxCharsPerToken, 1, MaxCharsPerTokenLimit, nameof(MaxCharsPerToken));
        check.That(Dropout is >= 0 and < 1, Dropout, "in [0, 1)", nameof(Dropout));
        check.Between(Epochs, 1, int.MaxValue, nameof(Epochs));
        check.Between(BatchSize, 1, MaxBatchSize, nameof(BatchSize));
        // libtorch reads both as float32: a larger double would overflow there instead of failing here.
        check.That(LearningRate is > 0 and <= float.MaxValue, LearningRate, "a positive number up to 3.4E+38", nameof(LearningRate));
        check.That(LearningRateDecay is > 0 and <= 1, LearningRateDecay, "in (0, 1]", nameof(LearningRateDecay));
        check.That(ClipNorm is >= 0 and <= float.MaxValue, ClipNorm, "0 (no clipping) or a positive number up to 3.4E+38", nameof(ClipNorm));
        check.Between(VocabularyMinCount, 1, int.MaxValue, nameof(VocabularyMinCount));
        check.Between(EarlyStoppingPatience, 0, int.MaxValue, nameof(EarlyStoppingPatience));
        check.That(RareTokenDropout is >= 0 and < 1, RareTokenDropout, "in [0, 1)", nameof(RareTokenDropout));
        check.That(WordDropout >= 0 && double.IsFinite(WordDropout), WordDropout, "0 (off) or a positive finite number", nameof(WordDropout));
        check.That(AdamBeta2 is > 0 and < 1, AdamBeta2, "in (0, 1)", nameof(AdamBeta2));
        check.That(EmaMomentum is >= 0 and < 1, EmaMomentum, "in [0, 1), 0 for no averaging", nameof(EmaMomentum));
    }

    /// <summary>A plain copy of the hyper-parameters only (no options of a derived class), with <paramref name="seed"/>.</summary>
    internal SequenceTaggerHyperParameters CopyHyperParameters(int seed) => new()
    {
        Cell = Cell,
        Bidirectional = Bidirectional,
        Layers = Layers,
        EmbeddingSize = EmbeddingSize,
        Units = Units,
        CharFeatures = CharFeatures,
        CharEmbeddingSize = CharEmbeddingSize,
        CharFilters = CharFilters,
        CharKernelSize = CharKernelSize,
        CharUnits = CharUnits,
        MaxCharsPerToken = MaxCharsPerToken,
        CharBoundaryMarkers = CharBoundaryMarkers,
        Dropout = Dropout,
        Lowercase = Lowercase,
        EmbeddingsFile = EmbeddingsFile,
        Epochs = Epochs,
        BatchSize = BatchSize,
        LearningRate = LearningRate,
        AdamBeta2 = AdamBeta2,
        EmaMomentum = EmaMomentum,
        LearningRateDecay = LearningRateDecay,
        ClipNorm = ClipNorm,
        Seed = seed,
        VocabularyMinCount = VocabularyMinCount,
        RareTokenDropout = RareTokenDropout,
        WordDropout = WordDropout,
        EarlyStoppingPatience = EarlyStoppingPatience,
    };

    /// <summary>Whether these are the first tagger's architecture (format version 1): Embedding → SimpleRNN →
    /// TimeDistributed(Dense), words as written.</summary>
    public bool IsVersion1Architecture =>
        Cell == TaggerCell.Simple && !Bidirectional && CharFeatures == CharFeatureKind.None && Layers == 1 && Dropout == 0 && !Lowercase;

    /// <summary>A copy with the first tagger's architecture (what a version-1 model file holds) and these sizes and
    /// training settings.</summary>
    internal SequenceTaggerHyperParameters WithVersion1Architecture()
    {
        var copy = CopyHyperParameters(Seed);
        copy.Cell = TaggerCell.Simple;
        copy.Bidirectional = false;
        copy.CharFeatures = CharFeatureKind.None;
        copy.Layers = 1;
        copy.Dropout = 0;
        copy.Lowercase = false;
        copy.EmbeddingsFile = null;
        return copy;
    }

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
