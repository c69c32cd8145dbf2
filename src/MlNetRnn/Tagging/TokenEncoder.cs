using System.Text;
using MlNetRnn.Data;

namespace MlNetRnn.Tagging;

/// <summary>
/// Turns a sentence's tokens into the tagger's inputs: word ids (from the token, lower-cased when asked) and, with a
/// character vocabulary, each token's character ids (from the token as written, cut to at most
/// <c>maxChars</c>: the first half and the last half, so prefixes and suffixes both survive), between a
/// begin-of-word and an end-of-word marker when <c>boundaryMarkers</c>.
/// </summary>
internal sealed class TokenEncoder(Vocabulary words, Vocabulary? chars, bool lowercase, int maxChars, bool boundaryMarkers)
{
    public Vocabulary Words => words;

    public Vocabulary? Chars => chars;

    /// <summary>Rows of the character embedding: the vocabulary's ids, then the two markers when there are markers.</summary>
    public int CharIdCount => CharEmbeddingRows(chars, boundaryMarkers);

    /// <summary>Rows of the character embedding for a character vocabulary (0 without one): its ids (padding and
    /// out-of-vocabulary included), plus <see cref="BeginOfWordId"/> and <see cref="EndOfWordId"/> with markers.</summary>
    public static int CharEmbeddingRows(Vocabulary? chars, bool boundaryMarkers) =>
        chars is null ? 0 : chars.Size + (boundaryMarkers ? 2 : 0);

    /// <summary>The begin-of-word marker's character id: the first id after the character vocabulary's.</summary>
    public static int BeginOfWordId(Vocabulary chars) => chars.Size;

    /// <summary>The end-of-word marker's character id: the second id after the character vocabulary's.</summary>
    public static int EndOfWordId(Vocabulary chars) => chars.Size + 1;

    /// <summary>The form a token takes in the word vocabulary.</summary>
    public string WordKey(string token) => lowercase ? token.ToLowerInvariant() : token;

    /// <summary>Word ids of a sentence; unknown words get <see cref="Vocabulary.OutOfVocabularyId"/>.</summary>
    public int[] WordIds(string[] sentence)
    {
        var ids = new int[sentence.Length];
        for (int i = 0; i < ids.Length; i++) ids[i] = words.IdOf(WordKey(sentence[i]));
        return ids;
    }

    /// <summary>Character ids of each token of a sentence (each at most <c>maxChars</c>, plus the two markers when
    /// <c>boundaryMarkers</c>); null without a character vocabulary.</summary>
    public int[][]? CharIds(string[] sentence)
    {
        if (chars is null) return null;
        var ids = new int[sentence.Length][];
        for (int i = 0; i < ids.Length; i++)
        {
            var all = Characters(sentence[i]).Select(chars.IdOf).ToArray();
            var cut = all.Length <= maxChars ? all : [.. all[..(maxChars - maxChars / 2)], .. all[^(maxChars / 2)..]];
            ids[i] = boundaryMarkers ? [BeginOfWordId(chars), .. cut, EndOfWordId(chars)] : cut;
        }
        return ids;
    }

    /// <summary>A token's characters as the character vocabulary counts them: Unicode scalar values (a surrogate
    /// pair is one character).</summary>
    public static IEnumerable<string> Characters(string token) => token.EnumerateRunes().Select(r => r.ToString());

    /// <summary>The character vocabulary of training sentences: every character seen, most frequent first.</summary>
    public static Vocabulary BuildCharVocabulary(IEnumerable<string[]> sentences) =>
        Vocabulary.Build(sentences.SelectMany(s => s).Select(t => (IReadOnlyList<string>)Characters(t).ToArray()), minCount: 1);
}
