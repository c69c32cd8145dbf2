using System.ComponentModel;
using System.Globalization;
using MlNetRnn.Pipelines.Bench;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace MlNetRnn.Pipelines.Commands;

/// <summary>
/// <c>mlnetrnn bench</c>: W1 (seed fit), W2 (tagger training and inference, through the library and through ML.NET),
/// W3 (PredictionEngine latency) and W2 training memory, each figure the median of 3 timed runs after a warm-up
/// (docs/benchmarks.md). The PyTorch reference, <c>torch_bench.py</c>, runs W1 and W2 the same way.
/// </summary>
public sealed class BenchCommand : Command<BenchCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--quick")]
        [Description("Smoke run, well under 20 s: 1 repeat, 200 epochs, 800 sentences, 3 memory epochs.")]
        public bool Quick { get; init; }

        [CommandOption("--json")]
        [Description("Print one JSON object per workload (seed, tagger, latency, memory) instead of a table.")]
        public bool Json { get; init; }

        [CommandOption("--threads <N>")]
        [Description("libtorch intra-op threads (torch.set_num_threads). Default: libtorch's default.")]
        public int? Threads { get; init; }

        [CommandOption("--profile")]
        [Description("Instead of the figures, show where a training step spends its time (forward per layer, loss, backward, optimizer).")]
        public bool Profile { get; init; }

        public override ValidationResult Validate() =>
            Threads is < 1 ? ValidationResult.Error($"--threads must be at least 1, not {Threads}") : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        int threads = ApplyThreads(settings.Threads);
        if (settings.Profile)
        {
            return Profile(settings.Quick, threads);
        }
        bool quick = settings.Quick;
        int repeats = quick ? 1 : 3;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var results = new List<BenchResult>();
        void Emit(BenchResult result)
        {
            result.Json["threads"] = threads;
            results.Add(result);
            if (settings.Json) Console.WriteLine(result.Json.ToJsonString());
        }
        void Step(string what)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!settings.Json) Console.Error.WriteLine($"bench: {what}…");
        }

        Step("W1 seed");
        Emit(new SeedWorkload(quick ? SeedWorkload.QuickEpochs : SeedWorkload.FullEpochs, repeats).Run());
        var data = SyntheticSentences.Generate(quick ? TaggerWorkload.QuickSentences : TaggerWorkload.FullSentences);
        using var tagger = new TaggerWorkload(data, repeats);
        // Memory runs right after W1, while the process holds the least else; its line is printed last.
        int memoryEpochs = quick ? MemoryWorkload.QuickEpochs : MemoryWorkload.FullEpochs;
        Step($"W2 training memory, {memoryEpochs} epochs");
        var memory = MemoryWorkload.Run(tagger, memoryEpochs);
        Step("W2 training and inference through the library");
        var library = tagger.Run(out var trained);
        trained.Dispose();
        Step("W2 through ML.NET: training the tagger, then Transform");
        var mlnet = MlNetTaggerWorkload.Train(data);
        Emit(library.With(mlnet.MeasureTransform(repeats)));
        Step("W3 PredictionEngine latency");
        Emit(mlnet.MeasureLatency(quick ? MlNetTaggerWorkload.QuickCalls : MlNetTaggerWorkload.FullCalls, repeats));
        Emit(memory);

        if (!settings.Json)
        {
            WriteTable(results.SelectMany(r => r.Figures), string.Create(CultureInfo.InvariantCulture,
                $"median of {repeats} after a warm-up; {threads} thread(s); {clock.Elapsed.TotalSeconds:F0} s; load {LoadAverage()}"));
        }
        return 0;
    }

    /// <summary>Sets libtorch's intra-op threads when asked; returns the number in use.</summary>
    public static int ApplyThreads(int? threads)
    {
        if (threads is { } n) set_num_threads(n);
        return get_num_threads();
    }

    /// <summary>A two-column table of figures with a caption.</summary>
    public static void WriteTable(IEnumerable<BenchFigure> figures, string caption)
    {
        var table = new Table().AddColumn("Measure").AddColumn(new TableColumn("Figure").RightAligned());
        foreach (var f in figures) table.AddRow(Markup.Escape(f.Measure), Markup.Escape(f.Figure));
        table.Caption(Markup.Escape(caption));
        AnsiConsole.Write(table);
    }

    /// <summary>The 1, 5 and 15 minute load averages from /proc/loadavg, or "unknown".</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    private static int Profile(bool quick, int threads)
    {
        int epochs = quick ? SeedWorkload.QuickEpochs : SeedWorkload.FullEpochs;
        Write($"W1 seed, {epochs:N0} epochs ({threads} thread(s))", BenchProfile.Seed(epochs), epochs, "epoch");
        var data = SyntheticSentences.Generate(quick ? TaggerWorkload.QuickSentences : TaggerWorkload.FullSentences);
        using var tagger = new TaggerWorkload(data, 1);
        int batches = tagger.SameBatches.BatchesPerEpoch ?? 0;
        Write($"W2 tagger train, 1 epoch of {batches} batches in torch_bench.py's order ({threads} thread(s))", BenchProfile.Tagger(tagger), batches, "batch");
        return 0;

        static void Write(string title, IReadOnlyList<(string Part, double Seconds)> parts, int steps, string unit)
        {
            double sum = parts.Where(p => !p.Part.StartsWith('(')).Sum(p => p.Seconds);
            var table = new Table().Title(Markup.Escape(title)).AddColumn("Part")
                .AddColumn(new TableColumn("Total s").RightAligned()).AddColumn(new TableColumn($"ms per {unit}").RightAligned())
                .AddColumn(new TableColumn("Share").RightAligned());
            foreach (var (part, seconds) in parts)
            {
                table.AddRow(Markup.Escape(part), seconds.ToString("F3", CultureInfo.InvariantCulture),
                    (seconds * 1000 / steps).ToString("F3", CultureInfo.InvariantCulture),
                    part.StartsWith('(') ? "" : (seconds / sum).ToString("P0", CultureInfo.InvariantCulture));
            }
            table.AddRow("sum of parts", sum.ToString("F3", CultureInfo.InvariantCulture),
                (sum * 1000 / steps).ToString("F3", CultureInfo.InvariantCulture), "");
            AnsiConsole.Write(table);
        }
    }
}
