using System.Globalization;

namespace MlNetRnn.Data;

/// <summary>Writes tagged sentences as CoNLL-U that <see cref="CoNllUReader"/> reads back.</summary>
public static class CoNllUWriter
{
    /// <summary>
    /// Writes each sentence as <c># sent_id = n</c> and <c># text = tokens joined by spaces</c> comments, one line
    /// per token with the 10 CoNLL-U columns (ID from 1, FORM, LEMMA <c>_</c>, the tag in UPOS or XPOS as chosen
    /// by <paramref name="column"/> and <c>_</c> in the other, the rest <c>_</c>), then a blank line.
    /// Lines end with LF as CoNLL-U requires.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// A sentence is empty, its token and tag counts differ, a token is empty or holds a tab or line break,
    /// or a tag is empty, <c>_</c> or holds whitespace (none of which could be read back).
    /// </exception>
    public static void Write(
        TextWriter writer,
        IEnumerable<(string[] tokens, string[] tags)> sentences,
        CoNllUTagColumn column = CoNllUTagColumn.Upos)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(sentences);
        if (!Enum.IsDefined(column))
        {
            throw new ArgumentOutOfRangeException(nameof(column), column, "Unknown CoNLL-U tag column.");
        }

        var index = 0;
        foreach (var (tokens, tags) in sentences)
        {
            Validate(index, tokens, tags);
            writer.Write(string.Create(CultureInfo.InvariantCulture, $"# sent_id = {index + 1}\n"));
            writer.Write($"# text = {string.Join(' ', tokens)}\n");
            for (var i = 0; i < tokens.Length; i++)
            {
                var (upos, xpos) = column == CoNllUTagColumn.Upos ? (tags[i], "_") : ("_", tags[i]);
                writer.Write(string.Create(
                    CultureInfo.InvariantCulture, $"{i + 1}\t{tokens[i]}\t_\t{upos}\t{xpos}\t_\t_\t_\t_\t_\n"));
            }

            writer.Write('\n');
            index++;
        }
    }

    private static void Validate(int index, string[]? tokens, string[]? tags)
    {
        if (tokens is null || tags is null)
        {
            throw new ArgumentException($"Sentence {index}: tokens and tags must not be null.", "sentences");
        }

        if (tokens.Length != tags.Length)
        {
            throw new ArgumentException(
                $"Sentence {index}: {tokens.Length} tokens but {tags.Length} tags.", "sentences");
        }

        if (tokens.Length == 0)
        {
            throw new ArgumentException($"Sentence {index} is empty; CoNLL-U has no empty sentences.", "sentences");
        }

        for (var i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i];
            if (string.IsNullOrEmpty(token) || token.AsSpan().IndexOfAny('\t', '\r', '\n') >= 0)
            {
                throw new ArgumentException(
                    $"Sentence {index}, token {i}: '{token}' is empty or holds a tab or line break.", "sentences");
            }

            var tag = tags[i];
            if (string.IsNullOrEmpty(tag) || tag == "_" || tag.Any(char.IsWhiteSpace))
            {
                throw new ArgumentException(
                    $"Sentence {index}, token {i}: tag '{tag}' is empty, '_' or holds whitespace.", "sentences");
            }
        }
    }
}
