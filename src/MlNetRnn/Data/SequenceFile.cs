namespace MlNetRnn.Data;

/// <summary>File plumbing shared by the readers.</summary>
internal static class SequenceFile
{
    /// <summary>Fails now rather than at first enumeration, which may happen much later inside ML.NET.</summary>
    public static void EnsureExists(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Sequence data file not found: {path}", path);
        }
    }

    /// <summary>Opens <paramref name="path"/> afresh on every enumeration so nothing is held in memory.</summary>
    public static IEnumerable<TaggedSentence> ReadLazily(
        string path, Func<TextReader, string, IEnumerable<TaggedSentence>> parse)
    {
        using var reader = File.OpenText(path);
        foreach (var sentence in parse(reader, path))
        {
            yield return sentence;
        }
    }
}
