using Microsoft.ML;
using MlNetRnn.Data;

namespace MlNetRnn.Pipelines.Commands;

/// <summary>Turns the shared <c>--format</c> and <c>--column</c> options into a loaded data view.</summary>
internal static class TaggedDataFiles
{
    /// <summary>Checks a <c>--format</c> value for tagged data files (null: inferred from the extension).</summary>
    public static string? CheckFormat(string? format) =>
        format is null or "conllu" or "conll" ? null : $"--format must be conllu or conll, not '{format}'";

    /// <summary>Checks a <c>--column</c> value.</summary>
    public static string? CheckColumn(string column) =>
        column is "upos" or "xpos" ? null : $"--column must be upos or xpos, not '{column}'";

    /// <summary>The CoNLL-U column named by a checked <c>--column</c> value.</summary>
    public static CoNllUTagColumn Column(string column) => column == "xpos" ? CoNllUTagColumn.Xpos : CoNllUTagColumn.Upos;

    /// <summary>
    /// Loads a file as <c>Tokens</c>/<c>Tags</c> rows. Without an explicit format, <c>.conllu</c> files are
    /// CoNLL-U and anything else column CoNLL; <paramref name="column"/> only matters for CoNLL-U.
    /// </summary>
    public static IDataView Load(MLContext mlContext, string path, string? format, string column)
    {
        format ??= Path.GetExtension(path).Equals(".conllu", StringComparison.OrdinalIgnoreCase) ? "conllu" : "conll";
        return format == "conllu"
            ? mlContext.Data.LoadFromConllU(path, Column(column))
            : mlContext.Data.LoadFromConll(path);
    }
}
