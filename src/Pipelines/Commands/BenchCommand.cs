using System.ComponentModel;
using System.Globalization;
using MlNetRnn.Pipelines.Bench;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace MlNetRnn.Pipelines.Commands;

/// <summary><c>mlnetrnn bench</c>: the workloads of the PyTorch reference (<c>torch_bench.py</c>), timed the same way.</summary>
public sealed class BenchCommand : Command<BenchCommand.Settings>
{
    private static readonly string[] KnownVariants = ["fused", "loop"];

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--quick")]
        [Description("Smoke run of a few seconds: 1 repeat, 200 epochs, 800 sentences (as torch_bench.py --quick).")]
        public bool Quick { get; init; }

        [CommandOption("--json")]
        [Description("Print one JSON line per workload and variant (the fields torch_bench.py prints) instead of a table.")]
        public bool Json { get; init; }

        [CommandOption("--threads <N>")]
        [Description("libtorch intra-op threads (torch.set_num_threads). Default: libtorch's default.")]
        public int? Threads { get; init; }

        [CommandOption("--variants <LIST>")]
        [Description("Comma-separated: fused (libtorch's RNN kernel), loop (one cell call per time step). Default fused,loop.")]
        [DefaultValue("fused,loop")]
        public string Variants { get; init; } = "fused,loop";

        [CommandOption("--profile")]
        [Description("Instead of the figures, show where a fused training step spends its time (forward per layer, loss, backward, optimizer).")]
        public bool Profile { get; init; }

        public string[] VariantList => Variants.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        public override ValidationResult Validate()
        {
            if (Threads is < 1) return ValidationResult.Error("--threads must be at least 1");
            var variants = VariantList;
            if (variants.Length == 0) return ValidationResult.Error("--variants needs at least one of: fused, loop");
            var unknown = variants.FirstOrDefault(v => !KnownVariants.Contains(v));
            return unknown is not null
                ? ValidationResult.Error($"unknown variant '{unknown}' in --variants; expected fused or loop")
                : base.Validate();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        int defaultThreads = get_num_threads();
        if (settings.Threads is { } n)
        {
            set_num_threads(n);
        }
        int threads = get_num_threads();
        int repeats = settings.Quick ? 1 : 3;
        var variants = settings.VariantList.Distinct().ToArray();
        if (settings.Profile)
        {
            return Profile(settings.Quick, threads);
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var results = new List<BenchResult>();

        void Report(BenchResult result)
        {
            results.Add(result);
            if (settings.Json)
            {
                Console.WriteLine(result.Json.ToJsonString());
            }
            else
            {
                foreach (var f in result.Figures)
                {
                    Console.Error.WriteLine($"{f.Workload} [{f.Variant}]: {f.Figure}");
                }
            }
        }

        var seed = new SeedWorkload(settings.Quick ? SeedWorkload.QuickEpochs : SeedWorkload.FullEpochs, repeats);
        foreach (var variant in variants)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Report(seed.Run(variant, threads, defaultThreads));
        }
        using (var tagger = new TaggerWorkload(settings.Quick ? TaggerWorkload.QuickSentences : TaggerWorkload.FullSentences, repeats))
        {
            foreach (var variant in variants)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Report(tagger.Run(variant, threads, defaultThreads));
            }
        }

        double total = clock.Elapsed.TotalSeconds;
        if (settings.Json)
        {
            var summary = new System.Text.Json.Nodes.JsonObject
            {
                ["summary"] = "done",
                ["impl"] = "mlnetrnn",
                ["torchsharp"] = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString(3),
                ["default_threads"] = defaultThreads,
                ["threads_run"] = new System.Text.Json.Nodes.JsonArray(threads),
                ["total_wall_s"] = Math.Round(total, 1),
            };
            Console.WriteLine(summary.ToJsonString());
            return 0;
        }

        var table = new Table().AddColumn("Workload").AddColumn("Variant").AddColumn(new TableColumn("Figure").RightAligned());
        foreach (var f in results.SelectMany(r => r.Figures))
        {
            table.AddRow(Markup.Escape(f.Workload), Markup.Escape(f.Variant), Markup.Escape(f.Figure));
        }
        table.Caption(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"median of {repeats} after a warm-up; {threads} thread(s); total {total:F1} s")));
        AnsiConsole.Write(table);
        return 0;
    }

    private static int Profile(bool quick, int threads)
    {
        int epochs = quick ? SeedWorkload.QuickEpochs : SeedWorkload.FullEpochs;
        Write($"W1 seed, {epochs:N0} epochs (fused, {threads} thread(s))", BenchProfile.Seed(epochs), epochs, "epoch");
        using var tagger = new TaggerWorkload(quick ? TaggerWorkload.QuickSentences : TaggerWorkload.FullSentences, 1);
        Write($"W2 tagger train, 1 epoch of {tagger.TrainBatches} batches (fused, {threads} thread(s))", BenchProfile.Tagger(tagger), tagger.TrainBatches, "batch");
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
