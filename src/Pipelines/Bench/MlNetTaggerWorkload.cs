using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MlNetRnn.MlNet;
using MlNetRnn.Models;

namespace MlNetRnn.Pipelines.Bench;

/// <summary>
/// W2 through ML.NET, and W3: a tagger with the W2 architecture trained by <c>SequenceTagging().Trainers.SimpleRnn</c>
/// (unidirectional SimpleRNN(128), word embedding 64, no character features, dropout 0, Adam 1e-3, batch 32, one epoch:
/// the weights do not matter for speed), then timed serving: <c>Transform</c> over an <c>IDataView</c> of the W2
/// sentences (outputs read by a cursor), and <c>PredictionEngine</c> calls on one 20-token sentence.
/// </summary>
public sealed class MlNetTaggerWorkload
{
    /// <summary>Tokens of W3's sentence.</summary>
    public const int SentenceLength = 20;
    /// <summary>Timed W3 calls per run.</summary>
    public const int FullCalls = 2000;
    /// <summary>Timed W3 calls with <c>--quick</c>.</summary>
    public const int QuickCalls = 300;
    /// <summary>Untimed W3 calls per warm-up block.</summary>
    public const int WarmUpCalls = 200;
    /// <summary>Least seconds of untimed W3 calls before the timed runs. .NET's tiered JIT recompiles the call path
    /// (ML.NET's and ours) optimized within about the first second of calls; before that a call takes about 140 µs
    /// instead of 60. A server answers from that steady state.</summary>
    public const double WarmUpSeconds = 1.5;
    /// <summary>The warm-up goes on until the JIT has compiled nothing for this long: on a slow moment of the machine the
    /// recompilation can take longer than <see cref="WarmUpSeconds"/> (one bench run measured 101.6 µs, its neighbours 58–59).</summary>
    public const double JitQuietSeconds = 0.5;
    /// <summary>Most seconds of warm-up, whatever the JIT does.</summary>
    public const double MaxWarmUpSeconds = 10;

    private readonly MLContext _mlContext;
    private readonly SyntheticSentences _data;
    private readonly string[][] _words;

    private MlNetTaggerWorkload(MLContext mlContext, SyntheticSentences data, ITransformer model, double trainSeconds)
    {
        _mlContext = mlContext;
        _data = data;
        _words = Enumerable.Range(0, data.Ids.Count).Select(data.Words).ToArray();
        Model = model;
        TrainSeconds = trainSeconds;
    }

    /// <summary>The trained transformer, as <c>Fit</c> returns it.</summary>
    public ITransformer Model { get; }

    /// <summary>Seconds of the one training epoch (not a benchmark figure: vocabulary building and checks included).</summary>
    public double TrainSeconds { get; }

    /// <summary>The W2 architecture as ML.NET tagger options.</summary>
    public static SequenceTaggerOptions Options() => new()
    {
        Cell = TaggerCell.Simple,
        Bidirectional = false,
        Layers = 1,
        CharFeatures = CharFeatureKind.None,
        EmbeddingSize = TaggerWorkload.EmbeddingSize,
        Units = TaggerWorkload.Units,
        Dropout = 0,
        RareTokenDropout = 0,
        Lowercase = false,
        Epochs = 1,
        BatchSize = TaggerWorkload.TrainBatch,
        LearningRate = 1e-3,
        Seed = 0,
    };

    /// <summary>Trains the tagger on <paramref name="data"/> (words "w17", tags "T3").</summary>
    public static MlNetTaggerWorkload Train(SyntheticSentences data)
    {
        var mlContext = new MLContext(seed: 0);
        var rows = Enumerable.Range(0, data.Ids.Count).Select(i => new LabeledRow { Tokens = data.Words(i), Tags = data.TagNames(i) }).ToArray();
        var trainer = mlContext.SequenceTagging().Trainers.SimpleRnn(Options());
        ITransformer model = null!;
        double seconds = BenchTiming.Seconds(() => model = trainer.Fit(mlContext.Data.LoadFromEnumerable(rows)));
        return new MlNetTaggerWorkload(mlContext, data, model, seconds);
    }

    /// <summary>The <c>mlnet_infer</c> fields of the tagger line: Transform over all sentences, median of <paramref name="repeats"/> after a warm-up pass.</summary>
    public BenchResult MeasureTransform(int repeats)
    {
        var view = TaggerServing.TokensView(_mlContext, _words);
        var times = BenchTiming.Repeat(repeats, () => TaggerServing.TransformAndRead(Model, view), () =>
        {
            var (seconds, tags) = TaggerServing.TransformAndRead(Model, view);
            TaggerServing.CheckAllTagged(tags, _data.RealTokens);
            return seconds;
        });
        double median = BenchTiming.Median(times);
        var json = new JsonObject
        {
            ["mlnet_infer_tokens_per_s"] = Math.Round(_data.RealTokens / median),
            ["mlnet_infer_median_s"] = BenchTiming.Round(median, 3),
            ["mlnet_infer_times_s"] = BenchTiming.Times(times, 3),
            ["mlnet_train_epoch_s"] = BenchTiming.Round(TrainSeconds, 3),
        };
        return new BenchResult([new BenchFigure("W2 inference, ML.NET Transform", TaggerWorkload.Rate(_data.RealTokens, median))], json);
    }

    /// <summary>W3: <paramref name="calls"/> <c>PredictionEngine</c> calls on one 20-token sentence, <paramref name="repeats"/>
    /// times after a warm-up (blocks of <see cref="WarmUpCalls"/> calls for at least <see cref="WarmUpSeconds"/>, until the
    /// JIT has been quiet for <see cref="JitQuietSeconds"/>, at most <see cref="MaxWarmUpSeconds"/>); the median and 99th
    /// percentile of each repeat's calls, medians over repeats.</summary>
    public BenchResult MeasureLatency(int calls, int repeats)
    {
        var sentence = _words.FirstOrDefault(w => w.Length == SentenceLength)
            ?? throw new InvalidOperationException($"No {SentenceLength}-token sentence among the {_words.Length} W2 sentences.");
        using var engine = _mlContext.Model.CreatePredictionEngine<TaggerServing.TokensRow, TaggerServing.TagsRow>(Model);
        var same = Enumerable.Repeat(sentence, calls).ToArray();
        var warmUp = same.Take(WarmUpCalls).ToArray();
        var started = Stopwatch.StartNew();
        long compiled = JitInfo.GetCompiledMethodCount();
        double lastCompile = 0;
        while (true)
        {
            TaggerServing.PredictEach(engine, warmUp);
            double now = started.Elapsed.TotalSeconds;
            long count = JitInfo.GetCompiledMethodCount();
            if (count != compiled)
            {
                compiled = count;
                lastCompile = now;
            }
            if (now >= MaxWarmUpSeconds || (now >= WarmUpSeconds && now - lastCompile >= JitQuietSeconds)) break;
        }
        var runs = Enumerable.Range(0, repeats).Select(_ => TaggerServing.PredictEach(engine, same).CallMicroseconds).ToArray();
        double median = BenchTiming.Median(runs.Select(r => BenchTiming.Median(r)).ToArray());
        double p99 = BenchTiming.Median(runs.Select(r => BenchTiming.Percentile(r, 99)).ToArray());
        var json = new JsonObject
        {
            ["impl"] = "mlnetrnn",
            ["workload"] = "latency",
            ["median_us"] = BenchTiming.Round(median, 1),
            ["p99_us"] = BenchTiming.Round(p99, 1),
            ["tokens"] = SentenceLength,
            ["calls"] = calls,
            ["repeats"] = repeats,
        };
        var figure = string.Create(CultureInfo.InvariantCulture, $"median {median:F0} µs, p99 {p99:F0} µs");
        return new BenchResult([new BenchFigure($"W3 PredictionEngine, {SentenceLength} tokens", figure)], json);
    }

    private sealed class LabeledRow
    {
        public string[] Tokens { get; set; } = [];
        public string[] Tags { get; set; } = [];
    }
}
