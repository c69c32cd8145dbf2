using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MlNetRnn.Data;
using MlNetRnn.MlNet;
using MlNetRnn.Models;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MlNetRnn.Pipelines.Commands;

/// <summary><c>mlnetrnn train</c>: fits the sequence tagger on a tagged file and saves an ML.NET model zip.</summary>
public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : TaggedDataSettings
    {
        [CommandOption("--train <FILE>", isRequired: true)]
        [Description("Training data (CoNLL-U or column CoNLL).")]
        public string Train { get; init; } = "";

        [CommandOption("--dev <FILE>")]
        [Description("Optional dev data, scored after every epoch (same format as --train).")]
        public string? Dev { get; init; }

        [CommandOption("--model <OUT>", isRequired: true)]
        [Description("Where to write the model zip (replaced atomically).")]
        public string Model { get; init; } = "";

        [CommandOption("--epochs <N>")]
        [Description("Training epochs.")]
        [DefaultValue(10)]
        public int Epochs { get; init; } = 10;

        [CommandOption("--batch-size <N>")]
        [Description("Sentences per batch.")]
        [DefaultValue(32)]
        public int BatchSize { get; init; } = 32;

        [CommandOption("--units <N>")]
        [Description("SimpleRNN units.")]
        [DefaultValue(128)]
        public int Units { get; init; } = 128;

        [CommandOption("--embedding <N>")]
        [Description("Embedding width.")]
        [DefaultValue(64)]
        public int Embedding { get; init; } = 64;

        [CommandOption("--learning-rate <X>")]
        [Description("Adam learning rate.")]
        [DefaultValue(0.001)]
        public double LearningRate { get; init; } = 0.001;

        [CommandOption("--seed <N>")]
        [Description("Seed for initial weights and shuffling.")]
        [DefaultValue(0)]
        public int Seed { get; init; }

        [CommandOption("--min-count <N>")]
        [Description("Tokens seen fewer times become out-of-vocabulary (1 keeps every token).")]
        [DefaultValue(1)]
        public int MinCount { get; init; } = 1;

        [CommandOption("--patience <N>")]
        [Description("With --dev: stop after N epochs without a better dev accuracy and keep the best epoch's weights (0: off).")]
        [DefaultValue(0)]
        public int Patience { get; init; }

        public override ValidationResult Validate()
        {
            var problem = (Epochs < 1 ? $"--epochs must be at least 1, not {Epochs}" : null)
                ?? (BatchSize < 1 ? $"--batch-size must be at least 1, not {BatchSize}" : null)
                ?? (Units < 1 ? $"--units must be at least 1, not {Units}" : null)
                ?? (Embedding < 1 ? $"--embedding must be at least 1, not {Embedding}" : null)
                ?? (!(LearningRate > 0) || double.IsInfinity(LearningRate) ? $"--learning-rate must be a positive number, not {LearningRate.ToString(CultureInfo.InvariantCulture)}" : null)
                ?? (MinCount < 1 ? $"--min-count must be at least 1, not {MinCount}" : null)
                ?? (Patience < 0 ? $"--patience must be at least 0, not {Patience}" : null);
            return problem is null ? base.Validate() : ValidationResult.Error(problem);
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // Checked before training, so a typo in the output path does not cost a training run.
        var modelDirectory = Path.GetDirectoryName(Path.GetFullPath(settings.Model));
        if (!Directory.Exists(modelDirectory))
            throw new DirectoryNotFoundException($"--model: directory '{modelDirectory}' does not exist");
        var mlContext = new MLContext(settings.Seed);
        var train = settings.Load(mlContext, settings.Train);
        var dev = settings.Dev is null ? null : settings.Load(mlContext, settings.Dev);
        var reports = new List<EpochReport>();
        var clock = Stopwatch.StartNew();
        SequenceTaggerTransformer? model = null;
        void Fit(Action<EpochReport> onEpoch)
        {
            var estimator = mlContext.SequenceTagging().Trainers.SimpleRnn(Options(settings, report =>
            {
                reports.Add(report);
                onEpoch(report);
            }));
            model = dev is null ? estimator.Fit(train) : estimator.Fit(train, dev);
        }

        if (AnsiConsole.Profile.Capabilities.Interactive)
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(progress =>
                {
                    var task = progress.AddTask("training", maxValue: settings.Epochs);
                    Fit(report =>
                    {
                        task.Description = string.Create(CultureInfo.InvariantCulture, $"epoch {report.Epoch}/{report.Epochs} loss {report.Loss:F4}");
                        task.Increment(1);
                    });
                });
        }
        else
        {
            // Redirected output (a log file, a pipe): a live bar would not redraw, so write one line per epoch.
            Fit(report => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {report.Epoch}/{report.Epochs} loss {report.Loss:F4} dev {report.DevAccuracy?.ToString("F4", CultureInfo.InvariantCulture) ?? "-"} ({report.Elapsed.TotalSeconds:F1} s)")));
        }
        var trainingTime = clock.Elapsed;
        SequenceTaggerModelFile.Save(mlContext, model!, train.Schema, settings.Model);

        AnsiConsole.Write(EpochTable(reports));
        var (sentences, tokens) = Count(mlContext, train);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained on {tokens} tokens in {sentences} sentences in {trainingTime.TotalSeconds:F1} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model: {settings.Model} ({new FileInfo(settings.Model).Length / 1024.0:F1} KiB, {model!.TagNames.Count} tags)"));
        return 0;
    }

    private static SequenceTaggerOptions Options(Settings settings, Action<EpochReport> onEpoch) => new()
    {
        Epochs = settings.Epochs,
        BatchSize = settings.BatchSize,
        Units = settings.Units,
        EmbeddingSize = settings.Embedding,
        LearningRate = settings.LearningRate,
        Seed = settings.Seed,
        VocabularyMinCount = settings.MinCount,
        EarlyStoppingPatience = settings.Patience,
        OnEpoch = onEpoch,
    };

    private static Table EpochTable(IEnumerable<EpochReport> reports)
    {
        var table = new Table()
            .AddColumn(new TableColumn("epoch").RightAligned())
            .AddColumn(new TableColumn("loss").RightAligned())
            .AddColumn(new TableColumn("dev accuracy").RightAligned())
            .AddColumn(new TableColumn("elapsed").RightAligned());
        foreach (var r in reports)
        {
            table.AddRow(
                r.Epoch.ToString(CultureInfo.InvariantCulture),
                r.Loss.ToString("F4", CultureInfo.InvariantCulture),
                r.DevAccuracy?.ToString("F4", CultureInfo.InvariantCulture) ?? "-",
                r.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s");
        }
        return table;
    }

    /// <summary>Sentences and tokens of the training data (re-read: the data view streams from the file).</summary>
    private static (int Sentences, long Tokens) Count(MLContext mlContext, IDataView data)
    {
        int sentences = 0;
        long tokens = 0;
        foreach (var row in mlContext.Data.CreateEnumerable<TaggedSentence>(data, reuseRowObject: true))
        {
            sentences++;
            tokens += row.Tokens.Length;
        }
        return (sentences, tokens);
    }
}
