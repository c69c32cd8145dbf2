namespace MlNetRnn.Data;

/// <summary>The tagged-sentence file formats this library reads.</summary>
public enum SequenceDataFormat
{
    /// <summary>CoNLL-U: 10 tab-separated columns, <c>#</c> comments (<see cref="CoNllUReader"/>).</summary>
    CoNllU,

    /// <summary>Column CoNLL: token first, tag last, whitespace-separated (<see cref="CoNllReader"/>).</summary>
    CoNll,
}

/// <summary>Recognises a tagged-sentence file's format by its content, not its name.</summary>
public static class SequenceDataFormats
{
    /// <summary>How many lines <see cref="Detect(string)"/> reads at most.</summary>
    public const int LinesExamined = 1000;

    /// <summary>
    /// The format of the file at <paramref name="path"/>, from its first data line (blank lines and lines
    /// starting with <c>#</c> are passed over, within the first <see cref="LinesExamined"/> lines): CoNLL-U
    /// when that line has 10 tab-separated columns and its first is a word ID (3, 3-4 or 3.1), else column
    /// CoNLL. Null when no data line is found (an empty or comments-only file).
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="IOException">The path is a directory.</exception>
    public static SequenceDataFormat? Detect(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafeFile.CheckIsFile(path, "data file");
        using var reader = File.OpenText(path);
        for (int i = 0; i < LinesExamined && reader.ReadLine() is { } line; i++)
        {
            if (string.IsNullOrWhiteSpace(line) || line[0] == '#') continue;
            return IsCoNllUWordLine(line) ? SequenceDataFormat.CoNllU : SequenceDataFormat.CoNll;
        }
        return null;
    }

    /// <summary>True when <paramref name="line"/> is a CoNLL-U word line: exactly 10 tab-separated columns,
    /// the first a word ID (3, 3-4 or 3.1).</summary>
    public static bool IsCoNllUWordLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        int tab = line.IndexOf('\t');
        return tab > 0 && line.AsSpan().Count('\t') == 9 && CoNllUReader.IsWordId(line[..tab]);
    }
}
