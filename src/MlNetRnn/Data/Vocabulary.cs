namespace MlNetRnn.Data;

/// <summary>
/// Maps tokens to embedding ids: 0 is padding, 1 is the out-of-vocabulary id, known tokens start at 2
/// (most frequent first, ties in ordinal order, so the same data always gives the same ids).
/// </summary>
public sealed class Vocabulary
{
    /// <summary>Id of padding positions.</summary>
    public const int PaddingId = 0;

    /// <summary>Id of tokens not in the vocabulary.</summary>
    public const int OutOfVocabularyId = 1;

    private readonly Dictionary<string, int> _ids;
    private readonly string[] _tokens;

    private Vocabulary(string[] tokens)
    {
        _tokens = tokens;
        _ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++)
        {
            if (!_ids.TryAdd(tokens[i], i + 2))
            {
                var shown = tokens[i].Length <= 40 ? tokens[i] : tokens[i][..40] + "…";
                throw new InvalidDataException($"The vocabulary lists token '{shown}' twice.");
            }
        }
    }

    /// <summary>Known tokens in id order (id = index + 2).</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>Number of embedding rows needed: known tokens plus padding and out-of-vocabulary.</summary>
    public int Size => _tokens.Length + 2;

    /// <summary>Keeps the tokens seen at least <paramref name="minCount"/> times.</summary>
    public static Vocabulary Build(IEnumerable<IReadOnlyList<string>> sentences, int minCount)
    {
        if (minCount < 1) throw new ArgumentException($"minCount must be ≥ 1; received {minCount}.", nameof(minCount));
        var counts = CountTokens(sentences);
        var kept = counts.Where(c => c.Value >= minCount)
            .OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => c.Key).ToArray();
        return new Vocabulary(kept);
    }

    /// <summary>A vocabulary from its tokens in id order (as stored in a model).</summary>
    public static Vocabulary FromTokens(IEnumerable<string> tokens) => new(tokens.ToArray());

    /// <summary>How often each token occurs.</summary>
    public static Dictionary<string, int> CountTokens(IEnumerable<IReadOnlyList<string>> sentences)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var sentence in sentences)
        {
            foreach (var token in sentence)
            {
                counts[token] = counts.GetValueOrDefault(token) + 1;
            }
        }
        return counts;
    }

    /// <summary>The id of a token; <see cref="OutOfVocabularyId"/> when unknown.</summary>
    public int IdOf(string token) => _ids.TryGetValue(token, out int id) ? id : OutOfVocabularyId;
}
