using System.Globalization;

namespace MlNetRnn.Data;

/// <summary>
/// Reads CoNLL-U (10 tab-separated columns: ID, FORM, LEMMA, UPOS, XPOS, FEATS, HEAD, DEPREL, DEPS, MISC)
/// into <see cref="TaggedSentence"/>s: tokens from FORM, tags from UPOS or XPOS.
/// </summary>
/// <remarks>
/// Comment lines (<c>#</c>), multiword-token ranges (ID <c>3-4</c>) and empty nodes (ID <c>5.1</c>) are skipped,
/// so the tokens are the syntactic words. Sentences end at blank lines and at end of input.
/// Malformed lines throw <see cref="SequenceDataFormatException"/> (<c>file:line: problem</c>): a column count
/// other than 10, an ID that is not an integer, range or decimal, word IDs out of sequence, an empty FORM,
/// or an empty or <c>_</c> value in the chosen tag column. <c>_</c> means "not annotated", so it is an error
/// only in the column being read; the other tag column may be <c>_</c>.
/// </remarks>
public sealed class CoNllUReader : TaggedSentenceReader
{
    private const int ColumnCount = 10;

    /// <summary>Creates a reader taking tags from <paramref name="tagColumn"/>.</summary>
    public CoNllUReader(CoNllUTagColumn tagColumn = CoNllUTagColumn.Upos)
    {
        if (!Enum.IsDefined(tagColumn))
        {
            throw new ArgumentOutOfRangeException(nameof(tagColumn), tagColumn, "Unknown CoNLL-U tag column.");
        }

        TagColumn = tagColumn;
    }

    /// <summary>The column the tags come from.</summary>
    public CoNllUTagColumn TagColumn { get; }

    /// <inheritdoc/>
    protected override IEnumerable<TaggedSentence> Parse(TextReader reader, string source)
    {
        var (tagIndex, tagName) = TagColumn == CoNllUTagColumn.Upos ? (3, "UPOS (column 4)") : (4, "XPOS (column 5)");
        var tokens = new List<string>();
        var tags = new List<string>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                if (tokens.Count > 0)
                {
                    yield return Flush(tokens, tags);
                }

                continue;
            }

            if (line[0] == '#')
            {
                continue;
            }

            var fields = line.Split('\t');
            if (fields.Length != ColumnCount)
            {
                throw new SequenceDataFormatException(
                    source, lineNumber, $"expected {ColumnCount} tab-separated columns, found {fields.Length}");
            }

            var id = fields[0];
            if (IsDecoratedId(id, '-') || IsDecoratedId(id, '.'))
            {
                continue;
            }

            if (!TryParseIndex(id, out var wordId))
            {
                throw new SequenceDataFormatException(
                    source, lineNumber, $"ID '{SequenceDataFormatException.Quote(id)}' is not a word index (3), a multiword range (3-4) or an empty node (3.1)");
            }

            // A missing blank line would otherwise silently glue two sentences together.
            if (wordId != tokens.Count + 1)
            {
                throw new SequenceDataFormatException(
                    source, lineNumber, $"expected word ID {tokens.Count + 1}, found {wordId}");
            }

            var form = fields[1];
            if (form.Length == 0)
            {
                throw new SequenceDataFormatException(source, lineNumber, "FORM (column 2) is empty");
            }

            var tag = fields[tagIndex];
            if (tag.Length == 0 || tag == "_")
            {
                throw new SequenceDataFormatException(
                    source, lineNumber, $"{tagName} is {(tag.Length == 0 ? "empty" : "'_' (not annotated)")}");
            }

            tokens.Add(form);
            tags.Add(tag);
        }

        if (tokens.Count > 0)
        {
            yield return Flush(tokens, tags);
        }
    }

    private static TaggedSentence Flush(List<string> tokens, List<string> tags)
    {
        var sentence = new TaggedSentence { Tokens = [.. tokens], Tags = [.. tags] };
        tokens.Clear();
        tags.Clear();
        return sentence;
    }

    /// <summary>True for a word index (3), a multiword range (3-4) or an empty node (3.1).</summary>
    internal static bool IsWordId(string id) => TryParseIndex(id, out _) || IsDecoratedId(id, '-') || IsDecoratedId(id, '.');

    private static bool TryParseIndex(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static bool IsDecoratedId(string id, char separator)
    {
        var at = id.IndexOf(separator);
        return at > 0 && TryParseIndex(id[..at], out _) && TryParseIndex(id[(at + 1)..], out _);
    }
}
