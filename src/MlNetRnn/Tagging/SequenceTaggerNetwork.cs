using System.Diagnostics;
using System.Globalization;
using MlNetRnn.Data;
using MlNetRnn.Layers;
using MlNetRnn.Tagging;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Models;

/// <summary>
/// A trained sequence tagger: word vocabulary, optional character vocabulary, tag set and the Keras model built from
/// its <see cref="HyperParameters"/> (see <see cref="SequenceTaggerHyperParameters"/>): words (batch, time) [and
/// characters (batch, time, chars)] → … → (batch, time, tags) probabilities. Sentences are padded per batch (grouped
/// by length) and padding is masked out of the recurrence and the loss.
/// </summary>
public sealed partial class SequenceTaggerNetwork : IDisposable
{
    private readonly Vocabulary _vocabulary;
    private readonly string[] _tags;
    private readonly Model _model;
    private readonly TokenEncoder _encoder;
    private readonly Embedding _wordEmbedding;

    /// <summary>A network of the first format (version 1): <paramref name="hyperParameters"/>'s sizes with the
    /// version-1 architecture, Embedding → SimpleRNN → TimeDistributed(Dense).</summary>
    private SequenceTaggerNetwork(Vocabulary vocabulary, string[] tags, SequenceTaggerHyperParameters hyperParameters)
        : this(vocabulary, null, tags, hyperParameters.WithVersion1Architecture())
    {
    }

    /// <summary>A new, untrained network for these vocabularies and tags; <paramref name="trainingSteps"/> is the number of
    /// optimizer steps its training will take (0 when it will not be trained), which decides weight averaging.</summary>
    private SequenceTaggerNetwork(Vocabulary vocabulary, Vocabulary? charVocabulary, string[] tags, SequenceTaggerHyperParameters hyperParameters,
        long trainingSteps = 0)
    {
        if ((charVocabulary is null) != (hyperParameters.CharFeatures == CharFeatureKind.None))
        {
            throw new ArgumentException(
                $"CharFeatures is {hyperParameters.CharFeatures}; a character vocabulary is needed exactly when it is not None.", nameof(charVocabulary));
        }
        _vocabulary = vocabulary;
        _tags = tags;
        HyperParameters = hyperParameters;
        _encoder = new TokenEncoder(vocabulary, charVocabulary, hyperParameters.Lowercase, hyperParameters.MaxCharsPerToken,
            hyperParameters.CharBoundaryMarkers);
        (_model, _wordEmbedding) = TaggerArchitecture.Build(hyperParameters, vocabulary.Size, _encoder.CharIdCount, tags.Length, trainingSteps);
        // Inference mode from the start (a loaded network is never trained); training switches it on and off again.
        _model.FreezeForInference();
    }

    /// <summary>Tag names in class-index order (ordinal sort of the training tags).</summary>
    public IReadOnlyList<string> TagNames => _tags;

    /// <summary>Known words (id order), lower-cased when <see cref="SequenceTaggerHyperParameters.Lowercase"/>.</summary>
    public Vocabulary Vocabulary => _vocabulary;

    /// <summary>Known characters (id order), or null without character features.</summary>
    public Vocabulary? CharVocabulary => _encoder.Chars;

    /// <summary>The settings it was trained with.</summary>
    public SequenceTaggerHyperParameters HyperParameters { get; }

    /// <summary>The underlying Keras model: inputs [words (batch, time)] or [words, chars (batch, time, chars)], int64
    /// ids with 0 as padding; output (batch, time, tags).</summary>
    public Model Model => _model;

    /// <summary>Trains a tagger.</summary>
    /// <param name="tokens">Training sentences.</param>
    /// <param name="tags">One tag per token of each sentence.</param>
    /// <param name="hyperParameters">Architecture, sizes and training settings.</param>
    /// <param name="devTokens">Optional dev sentences, scored after each epoch (<see cref="EpochReport.DevAccuracy"/>) for
    /// early stopping. Default none.</param>
    /// <param name="devTags">Their tags. Default none.</param>
    /// <param name="onEpoch">Called after each epoch. Default none.</param>
    /// <param name="cancellationToken">Checked between batches; cancelling throws <see cref="OperationCanceledException"/>. Default none.</param>
    /// <param name="onBatch">Called after each training batch (for progress bars). Default none.</param>
    /// <exception cref="ArgumentException">No sentences; an empty sentence; a sentence whose tokens and tags differ in
    /// length (named by index); a hyper-parameter out of range; word vectors whose dimension is not
    /// <see cref="SequenceTaggerHyperParameters.EmbeddingSize"/>; a network larger than <see cref="MaxStoredBytes"/>
    /// (refused before training).</exception>
    /// <exception cref="InvalidDataException">A bad line in <see cref="SequenceTaggerHyperParameters.EmbeddingsFile"/> (file:line).</exception>
    /// <exception cref="FileNotFoundException">The embeddings file does not exist.</exception>
    public static SequenceTaggerNetwork Train(
        IReadOnlyList<string[]> tokens, IReadOnlyList<string[]> tags, SequenceTaggerHyperParameters hyperParameters,
        IReadOnlyList<string[]>? devTokens = null, IReadOnlyList<string[]>? devTags = null,
        Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default, Action<BatchReport>? onBatch = null)
    {
        ArgumentNullException.ThrowIfNull(hyperParameters);
        hyperParameters.Validate();
        CheckSentences(tokens, tags, nameof(tokens), nameof(tags));
        if ((devTokens is null) != (devTags is null))
        {
            throw new ArgumentException("Give both dev tokens and dev tags, or neither.", nameof(devTags));
        }
        if (devTokens is not null)
        {
            CheckSentences(devTokens, devTags!, nameof(devTokens), nameof(devTags));
        }

        var hp = hyperParameters.CopyHyperParameters(hyperParameters.Seed);
        string Key(string token) => hp.Lowercase ? token.ToLowerInvariant() : token;
        var keys = tokens.Select(s => s.Select(Key).ToArray()).ToArray();
        var vocabulary = Vocabulary.Build(keys, hp.VocabularyMinCount);
        WordVectors? vectors = null;
        if (hp.EmbeddingsFile is { } file)
        {
            vectors = WordVectors.Read(file, SequenceTaggerHyperParameters.MaxLayerSize, Key);
            if (vectors.Dimension != hp.EmbeddingSize)
            {
                throw new ArgumentException(
                    $"The word vectors in '{file}' have {vectors.Dimension} dimensions; EmbeddingSize is {hp.EmbeddingSize}. Set EmbeddingSize to {vectors.Dimension}.",
                    nameof(hyperParameters));
            }
            var known = vocabulary.Tokens.ToHashSet(StringComparer.Ordinal);
            vocabulary = Vocabulary.FromTokens(vocabulary.Tokens.Concat(vectors.Words.Where(w => !known.Contains(w))));
        }
        var charVocabulary = hp.CharFeatures == CharFeatureKind.None ? null : TokenEncoder.BuildCharVocabulary(tokens);
        var tagNames = tags.SelectMany(t => t).Distinct().Order(StringComparer.Ordinal).ToArray();
        long steps = (long)hp.Epochs * TaggerBatches.BatchCount(tokens.Count, hp.BatchSize);
        var network = new SequenceTaggerNetwork(vocabulary, charVocabulary, tagNames, hp, steps);
        try
        {
            long stored = network.StoredBytes();
            if (stored > MaxStoredBytes)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"The network would take {stored:N0} bytes in a model file, more than the {MaxStoredBytes:N0} a model file holds: " +
                    $"{network.Model.CountParams():N0} weights, {(long)vocabulary.Size * hp.EmbeddingSize:N0} of them the word embedding " +
                    $"({vocabulary.Size:N0} words × EmbeddingSize {hp.EmbeddingSize}). Use fewer word vectors, a higher VocabularyMinCount or smaller layers."),
                    nameof(hyperParameters));
            }
            if (vectors is not null) network.SetWordVectors(vectors);
            network.Fit(tokens, keys, tags, devTokens, devTags, onEpoch, onBatch, cancellationToken);
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    public void Dispose() => _model.Dispose();

    // Rows of the word embedding for the words the vectors file has; the others keep their initial values.
    private void SetWordVectors(WordVectors vectors)
    {
        using var scope = NewDisposeScope();
        var weight = _wordEmbedding.Weights[0];
        var rows = weight.Read();
        int dimension = vectors.Dimension;
        var values = rows.data<float>().ToArray();
        for (int i = 0; i < _vocabulary.Tokens.Count; i++)
        {
            var vector = vectors[_vocabulary.Tokens[i]];
            if (!vector.IsEmpty) vector.CopyTo(values.AsSpan((i + 2) * dimension, dimension));
        }
        weight.Assign(tensor(values, rows.shape), $"{_wordEmbedding.Name}/{weight.Name}");
    }

    private void Fit(IReadOnlyList<string[]> tokens, IReadOnlyList<string[]> keys, IReadOnlyList<string[]> tags,
        IReadOnlyList<string[]>? devTokens, IReadOnlyList<string[]>? devTags, Action<EpochReport>? onEpoch,
        Action<BatchReport>? onBatch, CancellationToken cancellationToken)
    {
        var hp = HyperParameters;
        var tagIndex = _tags.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i, StringComparer.Ordinal);
        var ids = tokens.Select(_encoder.WordIds).ToArray();
        var chars = _encoder.Chars is null ? null : tokens.Select(s => _encoder.CharIds(s)!).ToArray();
        var labels = tags.Select(s => s.Select(t => tagIndex[t]).ToArray()).ToArray();
        var counts = Vocabulary.CountTokens(keys);
        var rareIds = counts.Where(c => c.Value == 1).Select(c => _vocabulary.IdOf(c.Key))
            .Where(id => id != Vocabulary.OutOfVocabularyId).ToHashSet();
        var wordDropout = hp.WordDropout > 0 ? TaggerBatches.WordDropoutProbabilities(hp.WordDropout, _vocabulary, counts) : null;
        try
        {
            using var source = new TaggerBatches(ids, chars, labels, hp.BatchSize, hp.Seed, hp.RareTokenDropout, rareIds, wordDropout);
            var callbacks = new List<Callback>();
            EarlyStopping? early = null;
            var optimizer = _model.Optimizer!;
            // With weight averaging (on only when the run is long enough for the average to forget the first steps' weights,
            // see TaggerArchitecture), dev scoring and early stopping's snapshot see the averaged weights.
            bool averaged = optimizer.UseEma;
            if (averaged) callbacks.Add(new AveragedWeights(optimizer));
            if (devTokens is not null)
            {
                callbacks.Add(new DevAccuracy(this, devTokens, devTags!));
                if (hp.EarlyStoppingPatience > 0)
                {
                    early = new EarlyStopping("val_accuracy", patience: hp.EarlyStoppingPatience, mode: "max", restoreBestWeights: true);
                    callbacks.Add(early);
                }
            }
            if (averaged) callbacks.Add(new AveragedWeights(optimizer));
            if (hp.LearningRateDecay < 1)
            {
                callbacks.Add(new LearningRateScheduler((epoch, _) => hp.LearningRate * Math.Pow(hp.LearningRateDecay, epoch)));
            }
            if (onEpoch is not null)
            {
                callbacks.Add(new EpochReporter(onEpoch, hp.Epochs, early));
            }
            if (onBatch is not null)
            {
                // TaggerBatches always knows its batch count.
                callbacks.Add(new BatchReporter(onBatch, hp.Epochs, source.BatchesPerEpoch.GetValueOrDefault()));
            }
            _model.Fit(source, hp.Epochs, verbose: 0, callbacks: callbacks, cancellationToken: cancellationToken);
        }
        finally
        {
            _model.FreezeForInference();
        }
    }

    /// <summary>Whether averaged weights are used (<see cref="SequenceTaggerHyperParameters.EmaMomentum"/>): the average spans
    /// about 1/(1 − μ) steps, and it is used only when training runs at least ten times that many (1,000 steps for
    /// μ = 0.99: EWT's 12,544 sentences in batches of 64 take 196 an epoch). With fewer, it still leans on weights from
    /// early in training, which on small data is worse than the last weights (600 EWT sentences, 5 epochs of 19 steps).</summary>
    internal static bool AveragingPays(double momentum, long steps) => momentum > 0 &&
        steps >= Math.Round(MinAveragingSpans / (1 - momentum), 6); // rounded: 1 − 0.9 is 0.09999999999999998

    private const double MinAveragingSpans = 10;

    /// <summary>Weight averaging (Keras <c>use_ema</c>) at each epoch's end: the instance before dev scoring and early
    /// stopping swaps the averaged weights in, the one after them swaps the raw weights back for the next epoch. When
    /// training ends, <c>Fit</c> keeps the averages (Keras <c>finalize_variable_values</c>) before early stopping restores
    /// its best epoch.</summary>
    private sealed class AveragedWeights(Optimizer optimizer) : Callback
    {
        public override void OnEpochEnd(int epoch, IDictionary<string, double> logs) => optimizer.SwapWeightsWithAverages();
    }

    /// <summary>Token accuracy on the dev sentences after each epoch, logged as <c>val_accuracy</c>.</summary>
    private sealed class DevAccuracy(SequenceTaggerNetwork network, IReadOnlyList<string[]> tokens, IReadOnlyList<string[]> tags) : Callback
    {
        public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
        {
            network._model.train(false);
            logs["val_accuracy"] = network.Accuracy(tokens, tags);
        }
    }

    /// <summary>Turns each epoch's logs into an <see cref="EpochReport"/> (1-based epoch, time since training began,
    /// the epoch early stopping would keep).</summary>
    private sealed class EpochReporter(Action<EpochReport> onEpoch, int epochs, EarlyStopping? early) : Callback
    {
        private readonly Stopwatch _clock = new();

        public override void OnTrainBegin(IDictionary<string, double> logs) => _clock.Restart();

        public override void OnEpochEnd(int epoch, IDictionary<string, double> logs) =>
            onEpoch(new EpochReport(epoch + 1, epochs, logs["loss"],
                logs.TryGetValue("val_accuracy", out double accuracy) ? accuracy : null, _clock.Elapsed)
            {
                KeptEpoch = early is null ? epoch + 1 : early.BestEpoch + 1,
            });
    }

    /// <summary>Turns each batch's running logs into a <see cref="BatchReport"/> (1-based epoch and batch).</summary>
    private sealed class BatchReporter(Action<BatchReport> onBatch, int epochs, int batches) : Callback
    {
        private int _epoch;

        public override void OnEpochBegin(int epoch, IDictionary<string, double> logs) => _epoch = epoch;

        public override void OnTrainBatchEnd(int batch, IDictionary<string, double> logs) =>
            onBatch(new BatchReport(_epoch + 1, epochs, batch + 1, batches, logs["loss"]));
    }

    private double Accuracy(IReadOnlyList<string[]> tokens, IReadOnlyList<string[]> tags)
    {
        var predicted = Predict(tokens);
        long correct = 0, total = 0;
        for (int s = 0; s < tokens.Count; s++)
        {
            for (int t = 0; t < tags[s].Length; t++)
            {
                if (predicted[s].Tags[t] == tags[s][t]) correct++;
                total++;
            }
        }
        return total == 0 ? 0 : (double)correct / total;
    }

    private static void CheckSentences(IReadOnlyList<string[]> tokens, IReadOnlyList<string[]> tags, string tokensName, string tagsName)
    {
        ArgumentNullException.ThrowIfNull(tokens, tokensName);
        ArgumentNullException.ThrowIfNull(tags, tagsName);
        if (tokens.Count == 0)
        {
            throw new ArgumentException($"There are no sentences in {tokensName}.", tokensName);
        }
        if (tokens.Count != tags.Count)
        {
            throw new ArgumentException($"{tokensName} has {tokens.Count} sentences but {tagsName} has {tags.Count}.", tagsName);
        }
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] is null || tags[i] is null || tokens[i].Length == 0)
            {
                throw new ArgumentException($"Sentence {i} of {tokensName} is empty.", tokensName);
            }
            if (tokens[i].Length != tags[i].Length)
            {
                throw new ArgumentException(
                    $"Sentence {i} has {tokens[i].Length} tokens but {tags[i].Length} tags; every token needs exactly one tag.", tagsName);
            }
        }
    }
}
