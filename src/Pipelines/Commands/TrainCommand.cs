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
        [LibraryDefault(nameof(SequenceTaggerOptions.Epochs))]
        public int Epochs { get; init; }

        [CommandOption("--batch-size <N>")]
        [Description("Sentences per batch.")]
        [LibraryDefault(nameof(SequenceTaggerOptions.BatchSize))]
        public int BatchSize { get; init; }

        [CommandOption("--cell <CELL>")]
        [Description("Recurrent cell: simple, lstm or gru.")]
        [LibraryDefault(nameof(SequenceTaggerOptions.Cell))]
        public TaggerCell Cell { get; init; }

        [CommandOption("--layers <N>")]
        [Description("Stacked recurrent layers.")]
        [LibraryDefault(nameof(SequenceTaggerOptions.Layers))]
        public int Layers { get; init; }

        [CommandOption("--unidirectional")]
        [Description("Read each sentence left to right only (default: both ways, outputs concatenated).")]
        public bool Unidirectional { get; init; }

        [CommandOption("--units <N>")]
        [Description("Units of each recurrent layer (per direction).")]
        [LibraryDefault(nameof(SequenceTaggerOptions.Units))]
        public int Units { get; init; }

        [CommandOption("--embedding <N>")]
        [Description("Word embedding width.")]
        [LibraryDefault(nameof(SequenceTaggerOptions.EmbeddingSize))]
        public int Embedding { get; init; }

        [CommandOption("--embeddings <FILE>")]
        [Description("Pretrained word vectors (word2vec, GloVe or fastText .vec text, or that text gzipped) of --embedding dimensions; their words join the vocabulary. Default: the bundled MiniLM vectors (100 dimensions, datasets/VECTORS.md) when --embedding is 100; none: no vectors")]
        public string? Embeddings { get; init; }

        [CommandOption("--no-lowercase")]
        [Description("Look words up as written (default: lower-cased; characters always keep their case).")]
        public bool NoLowercase { get; init; }

        [CommandOption("--char-features <KIND>")]
        [Description("Character encoder next to the word embedding: none, cnn or bilstm.")]
        [LibraryDefault(nameof(SequenceTaggerOptions.CharFeatures))]
        public CharFeatureKind CharFeatures { get; init; }

        [CommandOption("--dropout <X>")]
        [Description("Dropout rate after the embeddings and after each recurrent layer, in [[0, 1).")]
        [LibraryDefault(nameof(SequenceTaggerOptions.Dropout))]
        public double Dropout { get; init; }

        [CommandOption("--learning-rate <X>")]
        [Description("Adam learning rate.")]
        [LibraryDefault(nameof(SequenceTaggerOptions.LearningRate))]
        public double LearningRate { get; init; }

        [CommandOption("--clip-norm <X>")]
        [Description("Clip each weight's gradient to this L2 norm (Keras clipnorm; 0: off).")]
        [LibraryDefault(nameof(SequenceTaggerOptions.ClipNorm))]
        public double ClipNorm { get; init; }

        [CommandOption("--word-dropout <ALPHA>")]
        [Description("Word dropout: a word seen c times becomes the unknown word with probability ALPHA / (ALPHA + c) at each step (0: off).")]
        [LibraryDefault(nameof(SequenceTaggerOptions.WordDropout))]
        public double WordDropout { get; init; }

        [CommandOption("--ema <MOMENTUM>")]
        [Description("Average the weights (Keras use_ema with this ema_momentum, in [[0, 1), warming up as min(m, (1 + t)/(10 + t)) at step t); dev is scored with the average and the model keeps it, when training runs at least 10/(1 - m) steps (0: off).")]
        [LibraryDefault(nameof(SequenceTaggerOptions.EmaMomentum))]
        public double Ema { get; init; }

        [CommandOption("--seed <N>")]
        [Description("Seed for initial weights and shuffling.")]
        [DefaultValue(0)]
        public int Seed { get; init; }

        [CommandOption("--min-count <N>")]
        [Description("Tokens seen fewer times become out-of-vocabulary (1 keeps every token).")]
        [LibraryDefault(nameof(SequenceTaggerOptions.VocabularyMinCount))]
        public int MinCount { get; init; }

        [CommandOption("--patience <N>")]
        [Description("With --dev: stop after N epochs without a better dev accuracy and keep the best epoch's weights (0: off).")]
        [LibraryDefault(nameof(SequenceTaggerOptions.EarlyStoppingPatience))]
        public int Patience { get; init; }

        [CommandOption("--log-file <CSV>")]
        [Description("Also write each epoch's figures (epoch,loss,dev_accuracy,elapsed_seconds) to this CSV file as they happen.")]
        public string? LogFile { get; init; }

        [CommandOption("--plot <PNG>")]
        [Description("Also write a PNG of the training loss and dev accuracy per epoch (replaced atomically).")]
        public string? Plot { get; init; }

        public override ValidationResult Validate()
        {
            // One source of truth: the library's checks, under the CLI's option names.
            try
            {
                Options(this, BundledWordVectors.Resolve(Embeddings, Embedding), _ => { }).Validate(OptionName);
            }
            catch (ArgumentException e)
            {
                return ValidationResult.Error(Markup.Escape(CliErrors.MessageOf(e))); // Spectre reads it as markup: "[0, 1)" stays text
            }
            return base.Validate();
        }

        private static readonly Dictionary<string, string> OptionNames = new(StringComparer.Ordinal)
        {
            [nameof(SequenceTaggerOptions.Epochs)] = "--epochs",
            [nameof(SequenceTaggerOptions.BatchSize)] = "--batch-size",
            [nameof(SequenceTaggerOptions.Cell)] = "--cell",
            [nameof(SequenceTaggerOptions.Layers)] = "--layers",
            [nameof(SequenceTaggerOptions.Units)] = "--units",
            [nameof(SequenceTaggerOptions.CharFeatures)] = "--char-features",
            [nameof(SequenceTaggerOptions.Dropout)] = "--dropout",
            [nameof(SequenceTaggerOptions.EmbeddingSize)] = "--embedding",
            [nameof(SequenceTaggerOptions.LearningRate)] = "--learning-rate",
            [nameof(SequenceTaggerOptions.ClipNorm)] = "--clip-norm",
            [nameof(SequenceTaggerOptions.VocabularyMinCount)] = "--min-count",
            [nameof(SequenceTaggerOptions.EarlyStoppingPatience)] = "--patience",
            [nameof(SequenceTaggerOptions.WordDropout)] = "--word-dropout",
            [nameof(SequenceTaggerOptions.EmaMomentum)] = "--ema",
        };

        /// <summary>A library option's name as given on this command line (the option itself when it has no flag).</summary>
        public static string OptionName(string property) => OptionNames.TryGetValue(property, out var option) ? option : property;

        /// <summary>A library message with each option's property name (a whole word) replaced by its flag.</summary>
        public static string WithOptionNames(string message) => OptionNames.Aggregate(message, (text, name) =>
            System.Text.RegularExpressions.Regex.Replace(text, $@"\b{name.Key}\b", name.Value));
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // Checked before training, so that a bad output path does not cost a training run.
        CliErrors.ForOption("--model", () => SequenceTaggerModelFile.CheckCanSave(settings.Model));
        var vectorsFile = BundledWordVectors.Resolve(settings.Embeddings, settings.Embedding);
        if (settings.Embeddings is null && vectorsFile is not null && !File.Exists(vectorsFile))
            throw new UsageException($"the bundled word vectors {vectorsFile} are missing: rebuild mlnetrnn, or give --embeddings FILE or --embeddings none");
        if (vectorsFile is not null)
            CliErrors.ForOption("--embeddings", () => SafeFile.CheckIsFile(vectorsFile, "word vectors file"));
        if (settings.Plot is { } plot)
            PlotFiles.CheckWritable(plot);
        var mlContext = new MLContext(settings.Seed);
        var train = settings.Load(mlContext, settings.Train, "--train");
        var dev = settings.Dev is null ? null : settings.Load(mlContext, settings.Dev, "--dev");
        using var log = settings.LogFile is null ? null : OpenLog(settings.LogFile);
        var reports = new List<EpochReport>();
        var clock = Stopwatch.StartNew();
        var progress = BatchProgressLine.ForStandardError();
        var estimator = mlContext.SequenceTagging().Trainers.Recurrent(Options(settings, vectorsFile, report =>
        {
            progress?.Clear();
            reports.Add(report);
            var devAccuracy = report.DevAccuracy?.ToString("F4", CultureInfo.InvariantCulture);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {report.Epoch}/{report.Epochs} loss {report.Loss:F4} dev accuracy {devAccuracy ?? "-"} ({report.Elapsed.TotalSeconds:F1} s)"));
            log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{report.Epoch},{report.Loss:R},{report.DevAccuracy?.ToString("R", CultureInfo.InvariantCulture) ?? ""},{report.Elapsed.TotalSeconds:F3}"));
            log?.Flush();
        }, progress));
        SequenceTaggerTransformer model;
        try
        {
            model = dev is null ? estimator.Fit(train) : estimator.Fit(train, dev);
        }
        catch (ArgumentException e) when (vectorsFile is not null && e.Message.Contains(vectorsFile, StringComparison.Ordinal))
        {
            // The vectors' dimension is known only once the file is read: name the options as this command line does.
            throw new UsageException($"--embeddings: {Settings.WithOptionNames(CliErrors.MessageOf(e))}");
        }
        catch (ArgumentException e) when (e.ParamName == "hyperParameters")
        {
            // What only the built network can tell (its size in a model file), in this command line's words.
            throw new UsageException(Settings.WithOptionNames(CliErrors.MessageOf(e)));
        }
        finally
        {
            progress?.Clear(); // a failure's message starts on a clean line
        }
        var trainingTime = clock.Elapsed;
        if (KeptEpoch(settings, reports) is { } kept)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"early stopping: kept epoch {kept.Epoch} (dev accuracy {kept.DevAccuracy:F4}), the best of the {reports.Count} epochs run"));
        }
        try
        {
            SequenceTaggerModelFile.Save(mlContext, model, train.Schema, settings.Model);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"--model {settings.Model}: the model could not be saved: {e.Message}", e);
        }
        if (settings.Plot is { } plotPath)
            PlotFiles.WriteTrainingCurves(plotPath, reports);

        var (sentences, tokens) = Count(mlContext, train);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained on {tokens} tokens in {sentences} sentences in {trainingTime.TotalSeconds:F1} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model: {settings.Model} ({new FileInfo(settings.Model).Length / 1024.0:F1} KiB, {model.TagNames.Count} tags)"));
        return 0;
    }

    /// <summary>With early stopping, the epoch whose weights were kept when it is not the last one run: the
    /// first epoch with the best dev accuracy (a later equal one is not better).</summary>
    private static EpochReport? KeptEpoch(Settings settings, List<EpochReport> reports)
    {
        if (settings.Patience == 0 || settings.Dev is null || reports.Count == 0) return null;
        var best = reports.Aggregate((a, b) => b.DevAccuracy > a.DevAccuracy ? b : a);
        return best.Epoch == reports[^1].Epoch ? null : best;
    }

    private static StreamWriter OpenLog(string path)
    {
        try
        {
            var writer = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false)) { NewLine = "\n" };
            writer.WriteLine("epoch,loss,dev_accuracy,elapsed_seconds");
            writer.Flush();
            return writer;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"--log-file {path}: cannot write: {e.Message}", e);
        }
    }

    private static SequenceTaggerOptions Options(Settings settings, string? vectorsFile, Action<EpochReport> onEpoch, BatchProgressLine? progress = null) => new()
    {
        Epochs = settings.Epochs,
        BatchSize = settings.BatchSize,
        Cell = settings.Cell,
        Layers = settings.Layers,
        Bidirectional = !settings.Unidirectional,
        Units = settings.Units,
        EmbeddingSize = settings.Embedding,
        EmbeddingsFile = vectorsFile,
        Lowercase = !settings.NoLowercase,
        CharFeatures = settings.CharFeatures,
        Dropout = settings.Dropout,
        LearningRate = settings.LearningRate,
        ClipNorm = settings.ClipNorm,
        WordDropout = settings.WordDropout,
        EmaMomentum = settings.Ema,
        Seed = settings.Seed,
        VocabularyMinCount = settings.MinCount,
        EarlyStoppingPatience = settings.Patience,
        OnEpoch = onEpoch,
        OnBatch = progress is null ? null : progress.Update,
    };

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
