namespace MlNetRnn.Data;

/// <summary>
/// Reads column CoNLL (e.g. <c>John S</c>): one token per line as whitespace-separated fields, a blank line
/// between sentences. The token is the first field and the tag the last, so CoNLL-2003 lines such as
/// <c>EU NNP B-NP B-ORG</c> yield the token <c>EU</c> tagged <c>B-ORG</c>.
/// </summary>
/// <remarks>
/// <c>-DOCSTART-</c> lines are skipped and also end any open sentence. A non-blank line with a single field
/// throws <see cref="SequenceDataFormatException"/> (<c>file:line: problem</c>), and so does a line that is
/// CoNLL-U (see <see cref="SequenceDataFormats.IsCoNllUWordLine"/>): read such files with <see cref="CoNllUReader"/>.
/// </remarks>
public sealed class CoNllReader : TaggedSentenceReader
{
    private const string DocumentStart = "-DOCSTART-";

    /// <inheritdoc/>
    protected override IEnumerable<TaggedSentence> Parse(TextReader reader, string source)
    {
        var tokens = new List<string>();
        var tags = new List<string>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0 || fields[0] == DocumentStart)
            {
                if (tokens.Count > 0)
                {
                    yield return new TaggedSentence { Tokens = [.. tokens], Tags = [.. tags] };
                    tokens.Clear();
                    tags.Clear();
                }

                continue;
            }

            if (SequenceDataFormats.IsCoNllUWordLine(line))
            {
                throw new SequenceDataFormatException(
                    source, lineNumber, "this is CoNLL-U (10 tab-separated columns starting with a word ID), not column CoNLL; read it as CoNLL-U");
            }

            if (fields.Length == 1)
            {
                throw new SequenceDataFormatException(
                    source, lineNumber, $"expected a token and a tag separated by whitespace, found only '{SequenceDataFormatException.Quote(fields[0])}'");
            }

            tokens.Add(fields[0]);
            tags.Add(fields[^1]);
        }

        if (tokens.Count > 0)
        {
            yield return new TaggedSentence { Tokens = [.. tokens], Tags = [.. tags] };
        }
    }
}
