namespace MlNetRnn.Data;

/// <summary>A reader of one tagged-sentence file format; subclasses parse, this class handles files.</summary>
public abstract class TaggedSentenceReader
{
    /// <summary>
    /// Streams the sentences of the file at <paramref name="path"/>. Each enumeration re-reads the file, so
    /// nothing is held in memory; format errors surface when the bad line is reached. A missing, unreadable
    /// or directory path throws immediately (not at first enumeration, which may happen much later inside
    /// ML.NET): <see cref="FileNotFoundException"/>, <see cref="UnauthorizedAccessException"/> or
    /// <see cref="IOException"/> (a directory), each message starting with the path.
    /// </summary>
    public IEnumerable<TaggedSentence> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafeFile.CheckIsFile(path, "data file");
        try
        {
            using var probe = File.OpenRead(path);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"{path}: data file is not readable (permission denied)", e);
        }
        return ReadFile(path);
    }

    /// <summary>
    /// Streams the sentences of <paramref name="reader"/> (single pass). <paramref name="sourceName"/>
    /// prefixes error messages in place of a file name.
    /// </summary>
    public IEnumerable<TaggedSentence> Read(TextReader reader, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(sourceName);
        return Parse(reader, sourceName);
    }

    /// <summary>Parses sentences; errors are <see cref="SequenceDataFormatException"/>s naming <paramref name="source"/> and the line.</summary>
    protected abstract IEnumerable<TaggedSentence> Parse(TextReader reader, string source);

    private IEnumerable<TaggedSentence> ReadFile(string path)
    {
        using var reader = File.OpenText(path);
        foreach (var sentence in Parse(reader, path))
        {
            yield return sentence;
        }
    }
}
