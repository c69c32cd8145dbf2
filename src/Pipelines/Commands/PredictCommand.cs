using System.ComponentModel;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Data;
using MlNetRnn.MlNet;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MlNetRnn.Pipelines.Commands;

/// <summary><c>mlnetrnn predict</c>: tags whitespace-tokenized sentences, one per line: each as it is typed at a terminal,
/// in blocks of <see cref="BlockLines"/> lines from a file or a pipe (same output, in input order).</summary>
public sealed class PredictCommand : Command<PredictCommand.Settings>
{
    /// <summary>The longest input line read, in characters (beyond it the line is refused, not held).</summary>
    public const int MaxLineLength = 1 << 20;

    /// <summary>The largest <c>--max-tokens</c>.</summary>
    public const int MaxMaxTokens = 100_000;

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <FILE>", isRequired: true)]
        [Description("Model zip written by train.")]
        public string Model { get; init; } = "";

        [CommandOption("--input <FILE>")]
        [Description("Sentences, one per line, tokens separated by whitespace (default: stdin).")]
        public string? Input { get; init; }

        [CommandOption("--format <FORMAT>")]
        [Description("Output: text (token/TAG per token, one line per input line; a blank line stays blank) or conllu (blank input lines are skipped).")]
        [DefaultValue("text")]
        public string Format { get; init; } = "text";

        [CommandOption("--column <COLUMN>")]
        [Description("CoNLL-U column to fill with the tags: upos or xpos.")]
        [DefaultValue("upos")]
        public string Column { get; init; } = "upos";

        [CommandOption("--max-tokens <N>")]
        [Description("Refuse a line of more tokens than this (memory and time grow with the sentence). Lines are also limited to 1,048,576 characters.")]
        [DefaultValue(1000)]
        public int MaxTokens { get; init; } = 1000;

        public override ValidationResult Validate()
        {
            var problem = (Format is "text" or "conllu" ? null : $"--format must be text or conllu, not '{CommandLine.Quote(Format)}'")
                ?? TaggedDataSettings.CheckColumn(Column)
                ?? (MaxTokens is < 1 or > MaxMaxTokens ? $"--max-tokens must be between 1 and {MaxMaxTokens}, not {MaxTokens}" : null);
            return problem is null ? ValidationResult.Success() : ValidationResult.Error(problem);
        }
    }

    /// <summary>Lines read ahead and tagged together when the input is not a terminal.</summary>
    internal const int BlockLines = 1024;

    /// <summary>A row to tag. <see cref="Label"/> is fed only to a model whose saved pipeline also reads one more
    /// text-vector column (say a transform of the label column, upstream of the tagger): that column is given as empty.</summary>
    private sealed class Sentence
    {
        public string[] Tokens { get; set; } = [];
        public string[] Label { get; set; } = [];
    }

    /// <summary>A tagged row, as the model's output schema names it.</summary>
    private sealed class TaggedRow
    {
        public string[]? PredictedTags { get; set; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var mlContext = new MLContext();
        var model = SequenceTaggerModelFile.Load(mlContext, settings.Model, out var inputSchema);
        if (settings.Input is not null) CliErrors.ForOption("--input", () => SafeFile.CheckIsFile(settings.Input, "input file"));
        var definition = InputDefinition(mlContext, model, inputSchema, settings.Model);
        // A terminal gets each answer as soon as its line is typed; a file or a pipe is read ahead and tagged in blocks.
        bool interactive = settings.Input is null && !Console.IsInputRedirected;
        using var input = settings.Input is null ? StandardStreams.OpenInput() : File.OpenText(settings.Input);
        using var output = StandardStreams.OpenOutput();
        var lines = ReadLines(input, interactive ? output : null, settings.Input ?? "stdin", settings.MaxTokens);
        var tagged = interactive
            ? TagEach(mlContext, model, definition, lines)
            : TagInBlocks(mlContext, model, definition, lines);
        if (settings.Format == "conllu")
        {
            CoNllUWriter.Write(output, tagged.Where(pair => pair.Tokens.Length > 0), TaggedDataSettings.ParseColumn(settings.Column));
        }
        else
        {
            foreach (var (tokens, tags) in tagged)
                output.WriteLine(string.Join(' ', tokens.Zip(tags, (token, tag) => $"{token}/{tag}")));
        }
        output.Flush();
        return 0;
    }

    /// <summary>How input rows are described to the model: Tokens alone, or Tokens and the one other text-vector
    /// column its pipeline reads (named after it).</summary>
    private static SchemaDefinition InputDefinition(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string path)
    {
        var tokensOnly = SchemaDefinition.Create(typeof(Sentence));
        tokensOnly.Remove(tokensOnly[nameof(Sentence.Label)]);
        try
        {
            // Transform builds every step's mapper (GetOutputSchema alone lets a missing column pass in some chains).
            _ = model.Transform(mlContext.Data.LoadFromEnumerable(Array.Empty<Sentence>(), tokensOnly)).Schema;
            return tokensOnly;
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException or ArgumentException)
        {
            var others = inputSchema.Where(c => c.Name != "Tokens" && c.Type is VectorDataViewType { ItemType: TextDataViewType })
                .Select(c => c.Name).ToArray();
            if (inputSchema.GetColumnOrNull("Tokens") is null || others.Length != 1)
                throw new UsageException(
                    $"--model {path}: predict feeds only a 'Tokens' column, and this model's pipeline needs more before it tags ({CommandLine.Quote(e.Message.ReplaceLineEndings(" "))}); save the model without transforms of other columns");
            var withLabel = SchemaDefinition.Create(typeof(Sentence));
            withLabel[nameof(Sentence.Label)].ColumnName = others[0];
            return withLabel;
        }
    }

    /// <summary>A PredictionEngine tags each line as soon as it is read: no data-view cursor sits in between that
    /// could read ahead, so an interactive user sees every answer at once rather than at end of input.</summary>
    private static IEnumerable<(string[] Tokens, string[] Tags)> TagEach(
        MLContext mlContext, ITransformer model, SchemaDefinition definition, IEnumerable<string[]> lines)
    {
        var engine = mlContext.Model.CreatePredictionEngine<Sentence, TaggedRow>(model, inputSchemaDefinition: definition);
        foreach (var tokens in lines)
            yield return (tokens, tokens.Length == 0 ? [] : engine.Predict(new Sentence { Tokens = tokens }).PredictedTags ?? []);
    }

    /// <summary>Reads up to <see cref="BlockLines"/> lines, tags them with one batched <c>Transform</c> and yields them
    /// in input order. A bad line ends its block: the lines before it are answered, then its error is raised.</summary>
    private static IEnumerable<(string[] Tokens, string[] Tags)> TagInBlocks(
        MLContext mlContext, ITransformer model, SchemaDefinition definition, IEnumerable<string[]> lines)
    {
        using var reader = lines.GetEnumerator();
        while (true)
        {
            var block = new List<string[]>(BlockLines);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo? error = null;
            try
            {
                while (block.Count < BlockLines && reader.MoveNext()) block.Add(reader.Current);
            }
            catch (UsageException e)
            {
                error = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
            }
            if (block.Count > 0)
            {
                var rows = mlContext.Data.LoadFromEnumerable(block.Select(tokens => new Sentence { Tokens = tokens }), definition);
                var scored = mlContext.Data.CreateEnumerable<TaggedRow>(model.Transform(rows), reuseRowObject: false);
                foreach (var (tokens, row) in block.Zip(scored))
                    yield return (tokens, tokens.Length == 0 ? [] : row.PredictedTags ?? []);
            }
            error?.Throw();
            if (block.Count < BlockLines) yield break;
        }
    }

    /// <summary>The tokens of each line (empty for a blank line). With <paramref name="flushBeforeRead"/> (a terminal)
    /// the output is flushed before each read, so the answer to a line is out before the program waits for the next.</summary>
    private static IEnumerable<string[]> ReadLines(TextReader reader, TextWriter? flushBeforeRead, string source, int maxTokens)
    {
        for (int lineNumber = 1; ; lineNumber++)
        {
            flushBeforeRead?.Flush();
            string? line;
            try
            {
                line = SafeFile.ReadLine(reader, MaxLineLength);
            }
            catch (InvalidDataException e)
            {
                throw new UsageException($"{source}:{lineNumber}: {e.Message}");
            }
            if (line is null) yield break;
            var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length > maxTokens)
                throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                    $"{source}:{lineNumber}: {tokens.Length} tokens, more than --max-tokens {maxTokens}; split the sentence or raise --max-tokens"));
            yield return tokens;
        }
    }
}
