using System.ComponentModel;
using Microsoft.ML;
using MlNetRnn.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MlNetRnn.Pipelines.Commands;

/// <summary>The <c>--format</c> and <c>--column</c> options of commands that read gold-tagged files.</summary>
public abstract class TaggedDataSettings : CommandSettings
{
    [CommandOption("--format <FORMAT>")]
    [Description("conllu or conll (default: conllu for .conllu files, else conll).")]
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
        var problem = Format is null or "conllu" or "conll" ? CheckColumn(Column) : $"--format must be conllu or conll, not '{Format}'";
        return problem is null ? ValidationResult.Success() : ValidationResult.Error(problem);
    }

    /// <summary>Checks a <c>--column</c> value.</summary>
    public static string? CheckColumn(string column) =>
        column is "upos" or "xpos" ? null : $"--column must be upos or xpos, not '{column}'";

    /// <summary>
    /// Loads a file as <c>Tokens</c>/<c>Tags</c> rows. Without an explicit format, <c>.conllu</c> files are
    /// CoNLL-U and anything else column CoNLL; <see cref="Column"/> only matters for CoNLL-U.
    /// </summary>
    public IDataView Load(MLContext mlContext, string path)
    {
        var format = Format ?? (Path.GetExtension(path).Equals(".conllu", StringComparison.OrdinalIgnoreCase) ? "conllu" : "conll");
        return format == "conllu" ? mlContext.Data.LoadFromConllU(path, TagColumn) : mlContext.Data.LoadFromConll(path);
    }
}
