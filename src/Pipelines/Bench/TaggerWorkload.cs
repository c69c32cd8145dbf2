using System.Globalization;
using System.Text.Json.Nodes;
using MlNetRnn.Data;
using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Pipelines.Bench;

/// <summary>
/// W2 "tagger": synthetic sentences (lengths uniform 5..40, ids 1..4999 with 0 = padding, 17 tags; each tag
/// depends on the token and the previous one), Embedding(5000, 64, maskZero) → SimpleRNN(tanh, 128,
/// returnSequences) → TimeDistributed(Dense(17, softmax)); Adam lr 1e-3; one epoch over padded batches of 32
/// (padding masked out of the loss); inference over batches of 256 without gradients. Batches are cut in
/// sentence order, as the PyTorch reference does, and built before any timing. Tokens/s counts real tokens.
/// </summary>
public sealed class TaggerWorkload : IDisposable
{
    public const int FullSentences = 8000;
    public const int QuickSentences = 800;
    public const int Vocabulary = 5000;
    public const int EmbeddingSize = 64;
    public const int Units = 128;
    public const int TagCount = 17;
    public const int TrainBatch = 32;
    public const int InferBatch = 256;

    private readonly List<PaddedBatch> _train;
    private readonly List<PaddedBatch> _infer;

    /// <param name="sentences">How many synthetic sentences.</param>
    /// <param name="repeats">Timed runs per figure; each figure is their median.</param>
    /// <param name="seed">Seed of the sentence generator.</param>
    public TaggerWorkload(int sentences, int repeats, int seed = 1234)
    {
        if (sentences < 1) throw new ArgumentException($"sentences must be ≥ 1; received {sentences}.", nameof(sentences));
        if (repeats < 1) throw new ArgumentException($"repeats must be ≥ 1; received {repeats}.", nameof(repeats));
        Repeats = repeats;
        var (ids, tags) = Generate(sentences, seed);
        Sentences = ids.Count;
        RealTokens = ids.Sum(s => s.Length);
        _train = Batches(ids, tags, TrainBatch);
        _infer = Batches(ids, null, InferBatch);
        PaddedTrainTokens = _train.Sum(b => b.Ids.numel());
    }

    public int Repeats { get; }
    public int Sentences { get; }
    public long RealTokens { get; }
    public long PaddedTrainTokens { get; }
    public int TrainBatches => _train.Count;

    /// <summary>The pre-built training batches (32 sentences each, in sentence order).</summary>
    public IReadOnlyList<PaddedBatch> TrainData => _train;

    /// <summary>Sentences of uniform length 5..40, ids in 1..4999, tag = (id + 3·previous id) mod 17 (previous of the first is 0).</summary>
    public static (List<int[]> Ids, List<int[]> Tags) Generate(int sentences, int seed)
    {
        var random = new Random(seed);
        var ids = new List<int[]>(sentences);
        var tags = new List<int[]>(sentences);
        for (int s = 0; s < sentences; s++)
        {
            int length = random.Next(5, 41);
            var tokens = new int[length];
            var labels = new int[length];
            for (int t = 0; t < length; t++)
            {
                tokens[t] = random.Next(1, Vocabulary);
                labels[t] = (tokens[t] + 3 * (t == 0 ? 0 : tokens[t - 1])) % TagCount;
            }
            ids.Add(tokens);
            tags.Add(labels);
        }
        return (ids, tags);
    }

    // Consecutive chunks in sentence order (PaddedBatch.Create sorts only within each chunk), so every batch
    // has the same padded length as the reference's.
    private static List<PaddedBatch> Batches(List<int[]> ids, List<int[]>? tags, int size)
    {
        var batches = new List<PaddedBatch>();
        for (int start = 0; start < ids.Count; start += size)
        {
            int count = Math.Min(size, ids.Count - start);
            batches.AddRange(PaddedBatch.Create(ids.GetRange(start, count), tags?.GetRange(start, count), size));
        }
        return batches;
    }

    /// <summary>A fresh compiled tagger (seed 0), built outside any timed region.</summary>
    public static Sequential NewModel()
    {
        var model = new Sequential(seed: 0);
        model.Add(new Embedding(Vocabulary, EmbeddingSize, maskZero: true, inputShape: [-1]));
        model.Add(new SimpleRNN(Units, activation: "tanh", returnSequences: true));
        model.Add(new TimeDistributed(new Dense(TagCount, activation: "softmax")));
        model.Compile(new SparseCategoricalCrossentropy(), new Adam(learningRate: 1e-3));
        return model;
    }

    /// <summary>One timed epoch on <paramref name="model"/> (over the first <paramref name="limit"/> batches if given).</summary>
    /// <returns>Seconds, and the loss of the last batch.</returns>
    public (double Seconds, double LastLoss) TrainEpoch(Sequential model, string variant, int? limit = null)
    {
        var batches = limit is { } n ? _train.Take(n).ToArray() : _train.ToArray();
        double last = double.NaN;
        switch (variant)
        {
            case "fused":
                return (BenchTiming.Seconds(() =>
                {
                    foreach (var batch in batches)
                    {
                        last = model.TrainOnBatch(batch.Ids, batch.Tags!);
                    }
                }), last);
            case "loop":
                var (embedding, rnn, head) = Parts(model);
                // As before, the loop variant times the steps without per-batch data checks (the batches are built here).
                var stepwise = new Trainer(new ForwardOverride(model, inputs => Stepwise(embedding, rnn, head, inputs[0]), ForwardOverride.Unchecked));
                return (BenchTiming.Seconds(() =>
                {
                    foreach (var batch in batches)
                    {
                        last = stepwise.TrainOnBatch(new Batch([batch.Ids], batch.Tags!));
                    }
                }), last);
            default:
                throw new ArgumentException($"Unknown variant '{variant}'; expected fused or loop.", nameof(variant));
        }
    }

    /// <summary>One timed inference pass (argmax tags) over the batches of 256 (the first <paramref name="limit"/> if given).</summary>
    public double Infer(Sequential model, string variant, int? limit = null)
    {
        var batches = limit is { } n ? _infer.Take(n).ToArray() : _infer.ToArray();
        switch (variant)
        {
            case "fused":
                return BenchTiming.Seconds(() =>
                {
                    foreach (var batch in batches)
                    {
                        using var scope = NewDisposeScope();
                        model.Predict(batch.Ids, batchSize: InferBatch).argmax(-1);
                    }
                });
            case "loop":
                var (embedding, rnn, head) = Parts(model);
                return BenchTiming.Seconds(() =>
                {
                    using var noGrad = no_grad();
                    model.train(false);
                    foreach (var batch in batches)
                    {
                        using var scope = NewDisposeScope();
                        Stepwise(embedding, rnn, head, batch.Ids).Probabilities.argmax(-1);
                    }
                });
            default:
                throw new ArgumentException($"Unknown variant '{variant}'; expected fused or loop.", nameof(variant));
        }
    }

    /// <summary>Warm-up (10 training batches, 3 inference batches), then <see cref="Repeats"/> timed epochs on fresh
    /// models and <see cref="Repeats"/> timed inference passes with the last of them.</summary>
    public BenchResult Run(string variant, int threads, int defaultThreads)
    {
        using (var warmUp = NewModel())
        {
            TrainEpoch(warmUp, variant, limit: 10);
        }
        var trainTimes = new List<double>();
        double lastLoss = double.NaN;
        Sequential? model = null;
        for (int r = 0; r < Repeats; r++)
        {
            model?.Dispose();
            model = NewModel();
            var (seconds, loss) = TrainEpoch(model, variant);
            trainTimes.Add(seconds);
            lastLoss = loss;
        }
        using (model)
        {
            Infer(model!, variant, limit: 3);
            var inferTimes = Enumerable.Range(0, Repeats).Select(_ => Infer(model!, variant)).ToArray();
            double trainMedian = BenchTiming.Median(trainTimes), inferMedian = BenchTiming.Median(inferTimes);
            double trainRate = RealTokens / trainMedian, inferRate = RealTokens / inferMedian;
            var json = new JsonObject
            {
                ["impl"] = "mlnetrnn",
                ["workload"] = "tagger",
                ["variant"] = variant,
                ["threads"] = threads,
                ["default_threads"] = defaultThreads,
                ["sentences"] = Sentences,
                ["real_tokens"] = RealTokens,
                ["train_batches"] = TrainBatches,
                ["train_padded_tokens"] = PaddedTrainTokens,
                ["repeats"] = Repeats,
                ["train_median_s"] = BenchTiming.Round(trainMedian, 3),
                ["train_times_s"] = BenchTiming.Times(trainTimes, 3),
                ["train_tokens_per_s"] = Math.Round(trainRate),
                ["train_last_batch_loss"] = BenchTiming.Round(lastLoss, 4),
                ["infer_batch"] = InferBatch,
                ["infer_median_s"] = BenchTiming.Round(inferMedian, 3),
                ["infer_times_s"] = BenchTiming.Times(inferTimes, 3),
                ["infer_tokens_per_s"] = Math.Round(inferRate),
            };
            return new BenchResult(
            [
                new BenchFigure("W2 tagger train, 1 epoch", variant, Rate(trainRate, trainMedian)),
                new BenchFigure("W2 tagger inference", variant, Rate(inferRate, inferMedian)),
            ], json);
        }
    }

    private static string Rate(double tokensPerSecond, double seconds) =>
        string.Create(CultureInfo.InvariantCulture, $"{tokensPerSecond / 1000:F1}k tokens/s ({seconds:F2} s)");

    private static (Layer Embedding, SimpleRNN Rnn, Layer Head) Parts(Sequential model) =>
        (model.Layers[0], (SimpleRNN)model.Layers[1], model.Layers[2]);

    // The model's own layers, with the recurrence run one step at a time (masked as the model would).
    private static (Tensor Probabilities, Tensor? Mask) Stepwise(Layer embedding, SimpleRNN rnn, Layer head, Tensor ids)
    {
        var vectors = embedding.Call(ids)[0];
        var mask = embedding.ComputeMask(ids, null);
        var (sequence, _) = rnn.RunStepwise(vectors, mask);
        return (head.Call(sequence)[0], mask);
    }

    public void Dispose()
    {
        foreach (var batch in _train.Concat(_infer)) batch.Dispose();
        _train.Clear();
        _infer.Clear();
    }
}
