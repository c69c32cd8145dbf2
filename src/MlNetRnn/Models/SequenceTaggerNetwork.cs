using System.Diagnostics;
using System.Text;
using MlNetRnn.Data;
using MlNetRnn.Layers;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Models;

/// <summary>
/// A trained sequence tagger: vocabulary, tag set and the Keras model
/// Embedding(maskZero) → SimpleRNN(returnSequences) → TimeDistributed(Dense(tags, softmax)).
/// Sentences are padded per batch (grouped by length) and padding is masked out of the recurrence and the loss.
/// </summary>
public sealed partial class SequenceTaggerNetwork : IDisposable
{
    private const int PredictBatchSize = 64;

    private readonly Vocabulary _vocabulary;
    private readonly string[] _tags;
    private readonly Sequential _model;

    private SequenceTaggerNetwork(Vocabulary vocabulary, string[] tags, SequenceTaggerHyperParameters hyperParameters)
    {
        _vocabulary = vocabulary;
        _tags = tags;
        HyperParameters = hyperParameters;
        _model = new Sequential(seed: hyperParameters.Seed);
        _model.Add(new Embedding(vocabulary.Size, hyperParameters.EmbeddingSize, maskZero: true, inputShape: [-1]));
        _model.Add(new SimpleRNN(hyperParameters.Units, returnSequences: true));
        _model.Add(new TimeDistributed(new Dense(tags.Length, activation: "softmax")));
        _model.Compile(new SparseCategoricalCrossentropy(), new Adam(hyperParameters.LearningRate));
        // Inference mode from the start (a loaded network is never trained); training switches it on and off again.
        _model.FreezeForInference();
    }

    /// <summary>Tag names in class-index order (ordinal sort of the training tags).</summary>
    public IReadOnlyList<string> TagNames => _tags;

    /// <summary>Known tokens (id order).</summary>
    public Vocabulary Vocabulary => _vocabulary;

    /// <summary>The settings it was trained with.</summary>
    public SequenceTaggerHyperParameters HyperParameters { get; }

    /// <summary>The underlying Keras model.</summary>
    public Model Model => _model;

    /// <summary>Trains a tagger.</summary>
    /// <param name="tokens">Training sentences.</param>
    /// <param name="tags">One tag per token of each sentence.</param>
    /// <param name="hyperParameters">Sizes and training settings.</param>
    /// <param name="devTokens">Optional dev sentences, for <see cref="EpochReport.DevAccuracy"/>.</param>
    /// <param name="devTags">Their tags.</param>
    /// <param name="onEpoch">Called after each epoch.</param>
    /// <param name="cancellationToken">Checked between batches; cancelling throws <see cref="OperationCanceledException"/>. Default none.</param>
    /// <exception cref="ArgumentException">No sentences; an empty sentence; a sentence whose tokens and tags differ in length (named by index).</exception>
    public static SequenceTaggerNetwork Train(
        IReadOnlyList<string[]> tokens, IReadOnlyList<string[]> tags, SequenceTaggerHyperParameters hyperParameters,
        IReadOnlyList<string[]>? devTokens = null, IReadOnlyList<string[]>? devTags = null,
        Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default)
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

        var vocabulary = Vocabulary.Build(tokens, hyperParameters.VocabularyMinCount);
        var tagNames = tags.SelectMany(t => t).Distinct().Order(StringComparer.Ordinal).ToArray();
        var network = new SequenceTaggerNetwork(vocabulary, tagNames, hyperParameters);
        try
        {
            network.Fit(tokens, tags, devTokens, devTags, onEpoch, cancellationToken);
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Tags sentences, batched by length. Thread-safe (the network is frozen for inference once, so calls share
    /// no mutable state); unseen tokens use the out-of-vocabulary id.
    /// An empty sentence gives empty arrays.</summary>
    public SentenceTagging[] Predict(IReadOnlyList<string[]> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var results = new SentenceTagging[sentences.Count];
        var nonEmpty = Enumerable.Range(0, sentences.Count).Where(i => sentences[i].Length > 0).ToArray();
        foreach (int i in Enumerable.Range(0, sentences.Count).Except(nonEmpty))
        {
            results[i] = new SentenceTagging([], [], []);
        }
        var ids = nonEmpty.Select(i => Encode(sentences[i])).ToArray();
        int tagCount = _tags.Length;
        foreach (var batch in PaddedBatch.Create(ids, null, PredictBatchSize))
        {
            using (batch)
            using (NewDisposeScope())
            {
                var probabilities = _model.Infer(batch.Ids).contiguous();
                var data = probabilities.data<float>().ToArray();
                long time = probabilities.shape[1];
                for (int b = 0; b < batch.Rows.Length; b++)
                {
                    int length = batch.Lengths[b];
                    var distribution = new float[length * tagCount];
                    Array.Copy(data, b * time * tagCount, distribution, 0, distribution.Length);
                    var best = new string[length];
                    var scores = new float[length];
                    for (int t = 0; t < length; t++)
                    {
                        int argmax = 0;
                        for (int k = 1; k < tagCount; k++)
                        {
                            if (distribution[t * tagCount + k] > distribution[t * tagCount + argmax]) argmax = k;
                        }
                        best[t] = _tags[argmax];
                        scores[t] = distribution[t * tagCount + argmax];
                    }
                    results[nonEmpty[batch.Rows[b]]] = new SentenceTagging(best, scores, distribution);
                }
            }
        }
        return results;
    }

    public void Dispose() => _model.Dispose();

    private void Fit(IReadOnlyList<string[]> tokens, IReadOnlyList<string[]> tags,
        IReadOnlyList<string[]>? devTokens, IReadOnlyList<string[]>? devTags, Action<EpochReport>? onEpoch,
        CancellationToken cancellationToken)
    {
        var hp = HyperParameters;
        var tagIndex = _tags.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i, StringComparer.Ordinal);
        var ids = tokens.Select(Encode).ToArray();
        var labels = tags.Select(s => s.Select(t => tagIndex[t]).ToArray()).ToArray();
        var counts = Vocabulary.CountTokens(tokens);
        var rareIds = counts.Where(c => c.Value == 1).Select(c => _vocabulary.IdOf(c.Key))
            .Where(id => id != Vocabulary.OutOfVocabularyId).ToHashSet();
        var batches = PaddedBatch.Create(ids, labels, hp.BatchSize, hp.RareTokenDropout > 0 ? rareIds.Contains : null);
        try
        {
            using var source = new TrainingBatches(batches, hp.Seed, hp.RareTokenDropout);
            var callbacks = new List<Callback>();
            if (devTokens is not null)
            {
                callbacks.Add(new DevAccuracy(this, devTokens, devTags!));
                if (hp.EarlyStoppingPatience > 0)
                {
                    callbacks.Add(new EarlyStopping("val_accuracy", patience: hp.EarlyStoppingPatience, mode: "max", restoreBestWeights: true));
                }
            }
            if (onEpoch is not null)
            {
                callbacks.Add(new EpochReporter(onEpoch, hp.Epochs));
            }
            _model.Fit(source, hp.Epochs, verbose: 0, callbacks: callbacks, cancellationToken: cancellationToken);
        }
        finally
        {
            foreach (var batch in batches) batch.Dispose();
            _model.FreezeForInference();
        }
    }

    /// <summary>Length-grouped batches in a new seeded order each epoch; tokens seen once in training are replaced by the
    /// out-of-vocabulary id with probability <c>dropout</c> at each step. Each batch's loss counts by its real tokens.</summary>
    private sealed class TrainingBatches(IReadOnlyList<PaddedBatch> batches, int seed, double dropout) : IBatchSource, IDisposable
    {
        private readonly Random _shuffler = new(seed);
        private readonly Generator _dropout = new((ulong)seed);

        public int? BatchesPerEpoch => batches.Count;

        public IEnumerable<Batch> GetBatches(int epoch)
        {
            var order = Enumerable.Range(0, batches.Count).ToArray();
            _shuffler.Shuffle(order);
            foreach (int b in order)
            {
                var batch = batches[b];
                var x = batch.Ids;
                if (batch.RareTokens is { } rare)
                {
                    var drop = rare.logical_and(rand(rare.shape, generator: _dropout).lt(dropout));
                    x = x.masked_fill(drop, Vocabulary.OutOfVocabularyId);
                }
                yield return new Batch([x], batch.Tags!, count: batch.TokenCount);
            }
        }

        public void Dispose() => _dropout.Dispose();
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

    /// <summary>Turns each epoch's logs into an <see cref="EpochReport"/> (1-based epoch, time since training began).</summary>
    private sealed class EpochReporter(Action<EpochReport> onEpoch, int epochs) : Callback
    {
        private readonly Stopwatch _clock = new();

        public override void OnTrainBegin(IDictionary<string, double> logs) => _clock.Restart();

        public override void OnEpochEnd(int epoch, IDictionary<string, double> logs) =>
            onEpoch(new EpochReport(epoch + 1, epochs, logs["loss"],
                logs.TryGetValue("val_accuracy", out double accuracy) ? accuracy : null, _clock.Elapsed));
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

    private int[] Encode(string[] sentence) => sentence.Select(_vocabulary.IdOf).ToArray();

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
