using System.ComponentModel;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Data;
using MlNetRnn.MlNet;
using MlNetRnn.Pipelines.Bench;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MlNetRnn.Pipelines.Commands;

/// <summary>
/// <c>mlnetrnn bench serve</c>: how fast a saved tagger serves the sentences of a file. The model is loaded with
/// <see cref="SequenceTaggerModelFile.Load"/> (the throughput path); the file's sentences are read once into memory,
/// then tagged by <c>Transform</c> over all of them (every output read by a cursor) and by a <c>PredictionEngine</c>
/// one sentence at a time, each the median of 3 passes after a warm-up pass.
/// </summary>
public sealed class BenchServeCommand : Command<BenchServeCommand.Settings>
{
    /// <summary>Timed passes per figure (after one warm-up pass).</summary>
    public const int Repeats = 3;

    public sealed class Settings : TaggedDataSettings
    {
        [CommandOption("--model <FILE>", isRequired: true)]
        [Description("Model zip written by train.")]
        public string Model { get; init; } = "";

        [CommandOption("--data <FILE>", isRequired: true)]
        [Description("Sentences to tag (CoNLL-U or column CoNLL; the tags in it are not used).")]
        public string Data { get; init; } = "";

        [CommandOption("--json")]
        [Description("Print one JSON object instead of a table.")]
        public bool Json { get; init; }

        [CommandOption("--threads <N>")]
        [Description("libtorch intra-op threads (torch.set_num_threads). Default: libtorch's default.")]
        public int? Threads { get; init; }

        public override ValidationResult Validate() =>
            Threads is < 1 ? ValidationResult.Error($"--threads must be at least 1, not {Threads}") : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        int threads = BenchCommand.ApplyThreads(settings.Threads);
        var mlContext = new MLContext();
        var model = SequenceTaggerModelFile.Load(mlContext, settings.Model, out _);
        var sentences = ReadSentences(settings.Load(mlContext, settings.Data, "--data"));
        long tokens = sentences.Sum(s => (long)s.Length);
        var view = TaggerServing.TokensView(mlContext, sentences);

        var transformTimes = BenchTiming.Repeat(Repeats, () => TaggerServing.TransformAndRead(model, view), () =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (seconds, tags) = TaggerServing.TransformAndRead(model, view);
            TaggerServing.CheckAllTagged(tags, tokens);
            return seconds;
        });
        using var engine = CreateEngine(mlContext, model, settings.Model);
        var engineRuns = new List<(double Seconds, double[] CallMicroseconds)>();
        TaggerServing.PredictEach(engine, sentences);
        for (int r = 0; r < Repeats; r++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            engineRuns.Add(TaggerServing.PredictEach(engine, sentences));
        }

        double transform = BenchTiming.Median(transformTimes);
        double engineSeconds = BenchTiming.Median(engineRuns.Select(r => r.Seconds).ToArray());
        var calls = engineRuns.SelectMany(r => r.CallMicroseconds).ToArray();
        double median = BenchTiming.Median(calls), p99 = BenchTiming.Percentile(calls, 99);
        var json = new JsonObject
        {
            ["impl"] = "mlnetrnn",
            ["workload"] = "serve",
            ["transform_sentences_per_s"] = BenchTiming.Round(sentences.Count / transform, 1),
            ["engine_sentences_per_s"] = BenchTiming.Round(sentences.Count / engineSeconds, 1),
            ["engine_median_us"] = BenchTiming.Round(median, 1),
            ["engine_p99_us"] = BenchTiming.Round(p99, 1),
            ["transform_tokens_per_s"] = Math.Round(tokens / transform),
            ["transform_median_s"] = BenchTiming.Round(transform, 3),
            ["engine_median_pass_s"] = BenchTiming.Round(engineSeconds, 3),
            ["sentences"] = sentences.Count,
            ["tokens"] = tokens,
            ["repeats"] = Repeats,
            ["threads"] = threads,
        };
        if (settings.Json)
        {
            Console.WriteLine(json.ToJsonString());
            return 0;
        }
        string Rate(double seconds) => string.Create(CultureInfo.InvariantCulture,
            $"{sentences.Count / seconds:N0} sentences/s ({tokens / seconds / 1000:F1}k tokens/s)");
        BenchCommand.WriteTable(
        [
            new BenchFigure("Transform, whole file", Rate(transform)),
            new BenchFigure("PredictionEngine, per sentence", Rate(engineSeconds)),
            new BenchFigure("PredictionEngine call", string.Create(CultureInfo.InvariantCulture, $"median {median:F0} µs, p99 {p99:F0} µs")),
        ], string.Create(CultureInfo.InvariantCulture,
            $"{sentences.Count:N0} sentences, {tokens:N0} tokens; median of {Repeats} passes after a warm-up; {threads} thread(s); load average {BenchCommand.LoadAverage()}"));
        return 0;
    }

    /// <summary>The tokens of every sentence, read once (format errors surface here, as in evaluate).</summary>
    private static List<string[]> ReadSentences(IDataView data)
    {
        var column = data.Schema["Tokens"];
        var sentences = new List<string[]>();
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(column);
        VBuffer<ReadOnlyMemory<char>> buffer = default;
        while (DataErrors.MoveNext(cursor))
        {
            getter(ref buffer);
            sentences.Add(buffer.DenseValues().Select(v => v.ToString()).ToArray());
        }
        return sentences;
    }

    private static PredictionEngine<TaggerServing.TokensRow, TaggerServing.TagsRow> CreateEngine(MLContext mlContext, ITransformer model, string path)
    {
        try
        {
            return mlContext.Model.CreatePredictionEngine<TaggerServing.TokensRow, TaggerServing.TagsRow>(model);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException or ArgumentException)
        {
            throw new UsageException(
                $"--model {path}: bench serve feeds only a 'Tokens' column, and this model's pipeline needs more ({CommandLine.Quote(e.Message.ReplaceLineEndings(" "))})");
        }
    }
}
