using System.ComponentModel;
using Microsoft.ML;
using MlNetRnn.Data;
using MlNetRnn.MlNet;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MlNetRnn.Pipelines.Commands;

/// <summary><c>mlnetrnn predict</c>: tags whitespace-tokenized sentences, one per line, writing each as it is read.</summary>
public sealed class PredictCommand : Command<PredictCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <FILE>", isRequired: true)]
        [Description("Model zip written by train.")]
        public string Model { get; init; } = "";

        [CommandOption("--input <FILE>")]
        [Description("Sentences, one per line, tokens separated by whitespace (default: stdin).")]
        public string? Input { get; init; }

        [CommandOption("--format <FORMAT>")]
        [Description("Output: text (token/TAG per token, one sentence per line) or conllu.")]
        [DefaultValue("text")]
        public string Format { get; init; } = "text";

        [CommandOption("--column <COLUMN>")]
        [Description("CoNLL-U column to fill with the tags: upos or xpos.")]
        [DefaultValue("upos")]
        public string Column { get; init; } = "upos";

        public override ValidationResult Validate()
        {
            var problem = (Format is "text" or "conllu" ? null : $"--format must be text or conllu, not '{Format}'")
                ?? TaggedDataSettings.CheckColumn(Column);
            return problem is null ? ValidationResult.Success() : ValidationResult.Error(problem);
        }
    }

    /// <summary>A row to tag.</summary>
    private sealed class Sentence
    {
        public string[] Tokens { get; set; } = [];
    }

    /// <summary>A tagged row, as the model's output schema names it.</summary>
    private sealed class TaggedRow
    {
        public string[] PredictedTags { get; set; } = [];
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var mlContext = new MLContext();
        var model = SequenceTaggerModelFile.Load(mlContext, settings.Model, out _);
        if (settings.Input is not null && !File.Exists(settings.Input))
            throw new FileNotFoundException($"{settings.Input}: input file not found", settings.Input);
        using var input = settings.Input is null ? Console.In : File.OpenText(settings.Input);

        // A PredictionEngine tags each line as soon as it is read: no data-view cursor sits in between that
        // could read ahead, so an interactive user sees every answer at once rather than at end of input.
        using var engine = mlContext.Model.CreatePredictionEngine<Sentence, TaggedRow>(model);
        var tagged = ReadSentences(input).Select(sentence => (sentence.Tokens, engine.Predict(sentence).PredictedTags));
        if (settings.Format == "conllu")
        {
            CoNllUWriter.Write(Console.Out, tagged, TaggedDataSettings.ParseColumn(settings.Column));
        }
        else
        {
            foreach (var (tokens, tags) in tagged)
                Console.Out.WriteLine(string.Join(' ', tokens.Zip(tags, (token, tag) => $"{token}/{tag}")));
        }
        return 0;
    }

    private static IEnumerable<Sentence> ReadSentences(TextReader reader)
    {
        while (reader.ReadLine() is { } line)
        {
            var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length > 0) yield return new Sentence { Tokens = tokens };
        }
    }
}
