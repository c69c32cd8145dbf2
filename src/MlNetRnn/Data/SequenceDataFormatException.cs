namespace MlNetRnn.Data;

/// <summary>
/// A line of a sequence data file is malformed. The message reads <c>source:line: what was wrong</c>,
/// e.g. <c>en.conllu:12: expected 10 tab-separated columns, found 3</c>.
/// </summary>
public sealed class SequenceDataFormatException : FormatException
{
    /// <summary>Creates the exception for <paramref name="sourceName"/> at 1-based <paramref name="lineNumber"/>.</summary>
    public SequenceDataFormatException(string sourceName, int lineNumber, string problem)
        : base($"{sourceName}:{lineNumber}: {problem}")
    {
        SourceName = sourceName;
        LineNumber = lineNumber;
        Problem = problem;
    }

    /// <summary>The file path or other source name given to the reader.</summary>
    public string SourceName { get; }

    /// <summary>1-based number of the offending line.</summary>
    public int LineNumber { get; }

    /// <summary>What was wrong, without the location prefix.</summary>
    public string Problem { get; }

    /// <summary>Text from the input for a one-line message: control characters shown as <c>?</c> (binary
    /// input must not reach a terminal), cut to 80 characters (a line may hold megabytes).</summary>
    public static string Quote(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var shown = text.Length <= 80 ? text : text[..77];
        if (shown.Any(char.IsControl)) shown = string.Concat(shown.Select(c => char.IsControl(c) ? '?' : c));
        return text.Length <= 80 ? shown : $"{shown}… ({text.Length} characters)";
    }
}
