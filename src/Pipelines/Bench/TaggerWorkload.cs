using System.Globalization;
using System.Text.Json.Nodes;
using MlNetRnn.Data;
using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Pipelines.Bench;

/// <summary>
/// W2 "tagger" through the library: Embedding(5000, 64, maskZero) → SimpleRNN(tanh, 128, returnSequences) →
/// TimeDistributed(Dense(17, softmax)), Adam lr 1e-3, batches of 32, one epoch per timed run on a fresh model, all
/// through <c>Model.Fit</c>: once on length-grouped batches (ours to choose), once on exactly torch_bench.py's batches
/// (consecutive sentences in order). Inference: <c>PredictSequences</c> (sorted by length, batches of 256) + argmax.
/// torch_bench.py's batches are padded before any timing; the library's <see cref="SequenceBatchSource"/> pads its
/// batches as it goes, inside the timed epoch. Tokens/s counts real tokens.
/// </summary>
public sealed class TaggerWorkload : IDisposable
{
    /// <summary>Sentences of a full run, as torch_bench.py.</summary>
    public const int FullSentences = 8000;
    /// <summary>Sentences with <c>--quick</c>, as torch_bench.py --quick.</summary>
    public const int QuickSentences = 800;
    /// <summary>Word embedding width.</summary>
    public const int EmbeddingSize = 64;
    /// <summary>SimpleRNN units.</summary>
    public const int Units = 128;
    /// <summary>Sentences per training batch.</summary>
    public const int TrainBatch = 32;
    /// <summary>Sentences per inference batch.</summary>
    public const int InferBatch = 256;
    /// <summary>Batches trained once on a fresh model before the timed runs.</summary>
    public const int WarmUpBatches = 10;

    private readonly List<PaddedBatch> _sameBatches;

    /// <param name="data">The sentences.</param>
    /// <param name="repeats">Timed runs per figure; each figure is their median.</param>
    public TaggerWorkload(SyntheticSentences data, int repeats)
    {
        if (repeats < 1) throw new ArgumentException($"repeats must be ≥ 1; received {repeats}.", nameof(repeats));
        Data = data;
        Repeats = repeats;
        Grouped = new SequenceBatchSource(data.Ids, data.Tags, TrainBatch, seed: 0);
        _sameBatches = InOrder(data.Ids, data.Tags, TrainBatch);
        SameBatches = BatchSource.FromBatches(_sameBatches.Select(b => new Batch([b.Ids], b.Tags!)).ToArray());
    }

    /// <summary>The sentences.</summary>
    public SyntheticSentences Data { get; }
    /// <summary>Timed runs per figure.</summary>
    public int Repeats { get; }

    /// <summary>Length-grouped training batches (the library's own source), in a seeded order.</summary>
    public SequenceBatchSource Grouped { get; }

    /// <summary>torch_bench.py's training batches: consecutive sentences, 32 at a time, in sentence order.</summary>
    public IBatchSource SameBatches { get; }

    /// <summary>A fresh compiled tagger (seed 0), built outside any timed region.</summary>
    public static Sequential NewModel()
    {
        var model = new Sequential(seed: 0);
        model.Add(new Embedding(SyntheticSentences.Vocabulary, EmbeddingSize, maskZero: true, inputShape: [-1]));
        model.Add(new SimpleRNN(Units, activation: "tanh", returnSequences: true));
        model.Add(new TimeDistributed(new Dense(SyntheticSentences.TagCount, activation: "softmax")));
        model.Compile(new SparseCategoricalCrossentropy(), new Adam(learningRate: 1e-3));
        return model;
    }

    /// <summary>The first <see cref="WarmUpBatches"/> batches of <paramref name="source"/>'s first epoch.</summary>
    public static IBatchSource WarmUp(IBatchSource source) =>
        BatchSource.FromFunction(_ => source.GetBatches(0).Take(WarmUpBatches), WarmUpBatches);

    /// <summary>Seconds of one silent <c>Fit</c> epoch of <paramref name="model"/> over <paramref name="source"/>.</summary>
    public static double TrainEpoch(Sequential model, IBatchSource source) =>
        BenchTiming.Seconds(() => model.Fit(source, epochs: 1, verbose: 0));

    /// <summary>Seconds of one inference pass (PredictSequences + argmax) over the sentences.</summary>
    /// <param name="model">A trained tagger.</param>
    /// <param name="limit">Only the first sentences; default all.</param>
    public double Infer(Sequential model, int? limit = null)
    {
        var sentences = limit is { } n ? Data.Ids.Take(n).ToArray() : Data.Ids;
        return BenchTiming.Seconds(() =>
        {
            using var scope = NewDisposeScope();
            model.PredictSequences(sentences, InferBatch).argmax(-1);
        });
    }

    /// <summary>The library's figures of the <c>tagger</c> line; <paramref name="trained"/> receives the model of the
    /// last length-grouped run (the caller disposes it).</summary>
    public BenchResult Run(out Sequential trained)
    {
        Sequential? last = null;
        double[] TimeTraining(IBatchSource source, bool keep) => BenchTiming.Repeat(Repeats,
            () =>
            {
                using var warmUp = NewModel();
                TrainEpoch(warmUp, WarmUp(source));
            },
            () =>
            {
                var model = NewModel();
                double seconds = TrainEpoch(model, source);
                if (keep)
                {
                    last?.Dispose();
                    last = model;
                }
                else
                {
                    model.Dispose();
                }
                return seconds;
            });

        var groupedTimes = TimeTraining(Grouped, keep: true);
        var sameTimes = TimeTraining(SameBatches, keep: false);
        trained = last!;
        var model = trained;
        var inferTimes = BenchTiming.Repeat(Repeats, () => Infer(model, limit: 3 * InferBatch), () => Infer(model));

        double grouped = BenchTiming.Median(groupedTimes), same = BenchTiming.Median(sameTimes), infer = BenchTiming.Median(inferTimes);
        int tokens = Data.RealTokens;
        var json = new JsonObject
        {
            ["impl"] = "mlnetrnn",
            ["workload"] = "tagger",
            ["sentences"] = Data.Ids.Count,
            ["real_tokens"] = tokens,
            ["repeats"] = Repeats,
            ["train_tokens_per_s"] = Math.Round(tokens / grouped),
            ["train_median_s"] = BenchTiming.Round(grouped, 3),
            ["train_times_s"] = BenchTiming.Times(groupedTimes, 3),
            ["train_same_batches_tokens_per_s"] = Math.Round(tokens / same),
            ["train_same_batches_median_s"] = BenchTiming.Round(same, 3),
            ["train_same_batches_times_s"] = BenchTiming.Times(sameTimes, 3),
            ["train_same_batches_padded_tokens"] = _sameBatches.Sum(b => b.Ids.numel()),
            ["infer_batch"] = InferBatch,
            ["infer_tokens_per_s"] = Math.Round(tokens / infer),
            ["infer_median_s"] = BenchTiming.Round(infer, 3),
            ["infer_times_s"] = BenchTiming.Times(inferTimes, 3),
        };
        return new BenchResult(
        [
            new BenchFigure("W2 train, length-grouped batches", Rate(tokens, grouped)),
            new BenchFigure("W2 train, PyTorch's batches", Rate(tokens, same)),
            new BenchFigure("W2 inference, PredictSequences", Rate(tokens, infer)),
        ], json);
    }

    /// <summary>"45.1k tokens/s (4.00 s)".</summary>
    public static string Rate(double tokens, double seconds) =>
        string.Create(CultureInfo.InvariantCulture, $"{tokens / seconds / 1000:F1}k tokens/s ({seconds:F2} s)");

    // Consecutive chunks in sentence order (Pad keeps the given order), so every batch has the reference's padded length.
    private static List<PaddedBatch> InOrder(IReadOnlyList<int[]> ids, IReadOnlyList<int[]>? tags, int size)
    {
        var batches = new List<PaddedBatch>();
        for (int start = 0; start < ids.Count; start += size)
        {
            var rows = Enumerable.Range(start, Math.Min(size, ids.Count - start)).ToArray();
            batches.Add(PaddedBatch.Pad(rows, ids, tags, isRare: null, chars: null));
        }
        return batches;
    }

    public void Dispose()
    {
        foreach (var batch in _sameBatches) batch.Dispose();
        _sameBatches.Clear();
    }
}
