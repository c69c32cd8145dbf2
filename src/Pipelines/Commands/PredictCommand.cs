using System.ComponentModel;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Data;
using MlNetRnn.MlNet;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MlNetRnn.Pipelines.Commands;

/// <summary><c>mlnetrnn predict</c>: tags whitespace-tokenized sentences, one per line, writing each as it is read.</summary>
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

    /// <summary>A row to tag.</summary>
    private sealed class Sentence
    {
        public string[] Tokens { get; set; } = [];
    }

    /// <summary>A row to tag for a model whose saved pipeline also reads one more text-vector column (say a
    /// transform of the label column, upstream of the tagger): that column is given as empty.</summary>
    private sealed class SentenceWithLabel
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
        var tagger = CreateTagger(mlContext, model, inputSchema, settings.Model);
        using var input = settings.Input is null ? StandardStreams.OpenInput() : File.OpenText(settings.Input);
        using var output = StandardStreams.OpenOutput();
        var lines = ReadLines(input, output, settings.Input ?? "stdin", settings.MaxTokens);
        if (settings.Format == "conllu")
        {
            var tagged = lines.Where(tokens => tokens.Length > 0).Select(tokens => (tokens, tagger(tokens)));
            CoNllUWriter.Write(output, tagged, TaggedDataSettings.ParseColumn(settings.Column));
        }
        else
        {
            foreach (var tokens in lines)
                output.WriteLine(string.Join(' ', tokens.Zip(tagger(tokens), (token, tag) => $"{token}/{tag}")));
        }
        output.Flush();
        return 0;
    }

    /// <summary>A PredictionEngine tags each line as soon as it is read: no data-view cursor sits in between
    /// that could read ahead, so an interactive user sees every answer at once rather than at end of input.</summary>
    private static Func<string[], string[]> CreateTagger(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string path)
    {
        try
        {
            var engine = mlContext.Model.CreatePredictionEngine<Sentence, TaggedRow>(model);
            return tokens => tokens.Length == 0 ? [] : engine.Predict(new Sentence { Tokens = tokens }).PredictedTags ?? [];
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException or ArgumentException)
        {
            var others = inputSchema.Where(c => c.Name != "Tokens" && c.Type is VectorDataViewType { ItemType: TextDataViewType })
                .Select(c => c.Name).ToArray();
            if (inputSchema.GetColumnOrNull("Tokens") is null || others.Length != 1)
                throw new UsageException(
                    $"--model {path}: predict feeds only a 'Tokens' column, and this model's pipeline needs more before it tags ({CommandLine.Quote(e.Message.ReplaceLineEndings(" "))}); save the model without transforms of other columns");
            var definition = SchemaDefinition.Create(typeof(SentenceWithLabel));
            definition[nameof(SentenceWithLabel.Label)].ColumnName = others[0];
            var engine = mlContext.Model.CreatePredictionEngine<SentenceWithLabel, TaggedRow>(model, inputSchemaDefinition: definition);
            return tokens => tokens.Length == 0 ? [] : engine.Predict(new SentenceWithLabel { Tokens = tokens }).PredictedTags ?? [];
        }
    }

    /// <summary>The tokens of each line (empty for a blank line). The output is flushed before each read, so
    /// the answer to a line is out before the program waits for the next.</summary>
    private static IEnumerable<string[]> ReadLines(TextReader reader, TextWriter output, string source, int maxTokens)
    {
        for (int lineNumber = 1; ; lineNumber++)
        {
            output.Flush();
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
