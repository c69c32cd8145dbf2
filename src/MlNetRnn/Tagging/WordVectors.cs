using System.Globalization;
using System.IO.Compression;
using System.Text;
using MlNetRnn.Data;

namespace MlNetRnn.Models;

/// <summary>
/// Pretrained word vectors read from a word2vec / GloVe / fastText <c>.vec</c> text file: one word per line followed
/// by its values, separated by spaces; an optional first line "count dimension" (word2vec, fastText) must match the
/// number of vector lines, so that a file cut short is refused.
/// Every vector must have the same dimension. A word listed twice keeps its first vector. A gzip-compressed file
/// (<c>.vec.gz</c>) is read as its text: recognised by its first bytes, or for a pipe by its name ending in <c>.gz</c>.
/// </summary>
public sealed class WordVectors
{
    private readonly Dictionary<string, int> _index;
    private readonly float[] _values;

    private WordVectors(string[] words, Dictionary<string, int> index, float[] values, int dimension)
    {
        Words = words;
        _index = index;
        _values = values;
        Dimension = dimension;
    }

    /// <summary>Words in file order (duplicates removed).</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>Values per vector.</summary>
    public int Dimension { get; }

    /// <summary>The vector of <paramref name="word"/>, or an empty span when the file does not have it.</summary>
    public ReadOnlySpan<float> this[string word] =>
        _index.TryGetValue(word, out int i) ? _values.AsSpan(i * Dimension, Dimension) : [];

    /// <summary>Reads a vector file.</summary>
    /// <param name="path">The <c>.vec</c> (text) file, or that text gzipped.</param>
    /// <param name="maxDimension">Largest dimension accepted. Default <see cref="SequenceTaggerHyperParameters.MaxLayerSize"/>.</param>
    /// <param name="transformWord">Maps each word before it is stored (e.g. lower-casing); a word that maps onto one
    /// already read is skipped. Default: as written.</param>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">A line that is not a word and <see cref="Dimension"/> numbers, a line of more
    /// than <see cref="MaxLineChars"/> characters, a dimension above <paramref name="maxDimension"/>, no vectors, fewer or
    /// more vector lines than the first line's count, or damaged gzip data; the message starts with <c>path:line:</c>.</exception>
    public static WordVectors Read(string path, int maxDimension = SequenceTaggerHyperParameters.MaxLayerSize,
        Func<string, string>? transformWord = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (maxDimension < 1) throw new ArgumentException($"maxDimension must be positive; received {maxDimension}.", nameof(maxDimension));
        if (!File.Exists(path)) throw new FileNotFoundException($"The word vectors file '{path}' does not exist.", path);
        var words = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var values = new List<float>();
        int dimension = 0;
        long? promised = null; // the header's count: a shorter file was cut off
        long vectorLines = 0;
        int lineNumber = 0;
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        using var reader = new StreamReader(IsGzip(file, path) ? new GZipStream(file, CompressionMode.Decompress) : file, Encoding.UTF8);
        while (ReadLine(reader, path, lineNumber + 1) is { } line)
        {
            lineNumber++;
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (fields.Length == 0) continue;
            if (lineNumber == 1 && fields.Length == 2 && IsCount(fields[0]) && IsCount(fields[1]))   // "count dimension"
            {
                promised = long.Parse(fields[0], CultureInfo.InvariantCulture);
                continue;
            }
            string Where() => $"{path}:{lineNumber}";
            if (dimension == 0)
            {
                dimension = fields.Length - 1;
                if (dimension < 1) throw new InvalidDataException($"{Where()}: expected a word and its vector; received only '{Shorten(line)}'.");
                if (dimension > maxDimension)
                {
                    throw new InvalidDataException(
                        $"{Where()}: the vectors have {dimension} values; at most {maxDimension} are accepted.");
                }
            }
            if (fields.Length - 1 != dimension)
            {
                throw new InvalidDataException(
                    $"{Where()}: expected a word and {dimension} numbers (as on the first vector line); received {fields.Length - 1} numbers.");
            }
            var word = transformWord is null ? fields[0] : transformWord(fields[0]);
            vectorLines++;
            if (index.ContainsKey(word)) continue;
            var vector = new float[dimension];
            for (int d = 0; d < dimension; d++)
            {
                if (!float.TryParse(fields[d + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out vector[d]) || !float.IsFinite(vector[d]))
                {
                    throw new InvalidDataException($"{Where()}: value {d + 1} of '{Shorten(fields[0])}' is '{Shorten(fields[d + 1])}'; expected a finite number.");
                }
            }
            index[word] = words.Count;
            words.Add(word);
            values.AddRange(vector);
        }
        if (words.Count == 0) throw new InvalidDataException($"{path}:{lineNumber}: the file holds no word vectors.");
        if (promised is { } count && count != vectorLines)
        {
            throw new InvalidDataException(
                $"{path}:{lineNumber}: the first line promises {count} vectors; the file holds {vectorLines}. Is it cut short?");
        }
        return new WordVectors(words.ToArray(), index, values.ToArray(), dimension);
    }

    /// <summary>Longest line read: a word and <see cref="SequenceTaggerHyperParameters.MaxLayerSize"/> numbers of up to
    /// 100 characters each.</summary>
    public const int MaxLineChars = 1 << 20;

    // Whether the file starts with gzip's magic bytes, leaving the stream at its start; a pipe, which cannot be rewound,
    // by its name.
    private static bool IsGzip(FileStream file, string path)
    {
        if (!file.CanSeek) return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        Span<byte> magic = stackalloc byte[2];
        int read = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return read == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    // One line, bounded; damaged gzip data and an over-long line are reported at their line.
    private static string? ReadLine(StreamReader reader, string path, int lineNumber)
    {
        try
        {
            return SafeFile.ReadLine(reader, MaxLineChars);
        }
        catch (InvalidDataException e)
        {
            // Either SafeFile's refusal of an over-long line or GZipStream's of damaged data (whose own words name a zip archive).
            string problem = e.Source == typeof(GZipStream).Assembly.GetName().Name
                ? $"damaged gzip data ({e.Message.TrimEnd('.')})"
                : e.Message.TrimEnd('.');
            throw new InvalidDataException($"{path}:{lineNumber}: {problem}.", e);
        }
    }

    private static bool IsCount(string field) => long.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out _);

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
