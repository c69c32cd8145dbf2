using System.ComponentModel;
using Microsoft.ML;
using MlNetRnn.Data;
using MlNetRnn.MlNet;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MlNetRnn.Pipelines.Commands;

/// <summary>The <c>--format</c> and <c>--column</c> options of commands that read gold-tagged files.</summary>
public abstract class TaggedDataSettings : CommandSettings
{
    [CommandOption("--format <FORMAT>")]
    [Description("conllu or conll (default: recognised from the content: CoNLL-U has 10 tab-separated columns starting with a word ID).")]
    public string? Format { get; init; }

    [CommandOption("--column <COLUMN>")]
    [Description("CoNLL-U tag column: upos or xpos.")]
    [DefaultValue("upos")]
    public string Column { get; init; } = "upos";

    /// <summary>The CoNLL-U column named by <see cref="Column"/>.</summary>
    public CoNllUTagColumn TagColumn => ParseColumn(Column);

    /// <summary>The CoNLL-U column named by a checked <c>--column</c> value.</summary>
    public static CoNllUTagColumn ParseColumn(string column) => column == "xpos" ? CoNllUTagColumn.Xpos : CoNllUTagColumn.Upos;

    public override ValidationResult Validate()
    {
        var problem = Format is null or "conllu" or "conll" ? CheckColumn(Column) : $"--format must be conllu or conll, not '{CommandLine.Quote(Format)}'";
        return problem is null ? ValidationResult.Success() : ValidationResult.Error(problem);
    }

    /// <summary>Checks a <c>--column</c> value.</summary>
    public static string? CheckColumn(string column) =>
        column is "upos" or "xpos" ? null : $"--column must be upos or xpos, not '{CommandLine.Quote(column)}'";

    /// <summary>
    /// Loads a file as <c>Tokens</c>/<c>Tags</c> rows, in the format <c>--format</c> names or, without it, the
    /// one its content shows (whatever its name). A file without any sentence (empty, or only comments) is
    /// refused here, the same way by every command.
    /// </summary>
    /// <exception cref="UsageException">The file has no sentence, or <c>--format conll</c> names CoNLL-U content.</exception>
    public IDataView Load(MLContext mlContext, string path, string option)
    {
        var detected = SequenceDataFormats.Detect(path)
            ?? throw new UsageException($"{option} {path}: no sentences (the file is empty or holds only comments)");
        var format = Format switch
        {
            "conllu" => SequenceDataFormat.CoNllU,
            "conll" when detected == SequenceDataFormat.CoNllU => throw new UsageException(
                $"{option} {path}: --format conll, but the content is CoNLL-U (10 tab-separated columns starting with a word ID); drop --format or use --format conllu"),
            "conll" => SequenceDataFormat.CoNll,
            _ => detected,
        };
        var data = format == SequenceDataFormat.CoNllU ? mlContext.Data.LoadFromConllU(path, TagColumn) : mlContext.Data.LoadFromConll(path);
        if (!HasSentence(data))
            throw new UsageException($"{option} {path}: no sentences (the file is empty or holds only comments)");
        return data;
    }

    /// <summary>Reads up to the first sentence (format and I/O errors before it surface here as themselves).</summary>
    private static bool HasSentence(IDataView data)
    {
        using var cursor = data.GetRowCursor(data.Schema);
        return DataErrors.MoveNext(cursor);
    }
}
