namespace MlNetRnn.Evaluation;

/// <summary>
/// Token accuracy split by whether the tagger knew the word: tokens in its vocabulary ("known") and tokens
/// it maps to the out-of-vocabulary id ("unknown"), as the network looks them up (for a model file,
/// <c>SequenceTaggerModelFile.GetKnownWordTest</c> gives that test, lower-casing when the tagger does).
/// Ratios whose denominator is 0 are 0.
/// </summary>
public sealed class KnownWordMetrics
{
    private KnownWordMetrics(long known, long knownCorrect, long unknown, long unknownCorrect)
    {
        KnownTokenCount = known;
        UnknownTokenCount = unknown;
        KnownAccuracy = Ratio.Of(knownCorrect, known);
        UnknownAccuracy = Ratio.Of(unknownCorrect, unknown);
        OutOfVocabularyRate = Ratio.Of(unknown, known + unknown);
    }

    /// <summary>Tokens in the tagger's vocabulary.</summary>
    public long KnownTokenCount { get; }

    /// <summary>Tokens not in the tagger's vocabulary.</summary>
    public long UnknownTokenCount { get; }

    /// <summary>Correct known tokens / <see cref="KnownTokenCount"/>.</summary>
    public double KnownAccuracy { get; }

    /// <summary>Correct unknown tokens / <see cref="UnknownTokenCount"/>.</summary>
    public double UnknownAccuracy { get; }

    /// <summary><see cref="UnknownTokenCount"/> / all tokens.</summary>
    public double OutOfVocabularyRate { get; }

    /// <summary>Scores (tokens, gold, predicted) sentences; <paramref name="isKnown"/> says whether the tagger
    /// knows a token as written in the data (the test applies any normalisation the tagger applies). The sequence is enumerated once.</summary>
    /// <exception cref="ArgumentException">A sentence's three sequences differ in length (named by 0-based index).</exception>
    public static KnownWordMetrics Compute(
        IEnumerable<(IReadOnlyList<string> Tokens, IReadOnlyList<string> Gold, IReadOnlyList<string> Predicted)> sentences,
        Func<string, bool> isKnown)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentNullException.ThrowIfNull(isKnown);
        long known = 0, knownCorrect = 0, unknown = 0, unknownCorrect = 0;
        int index = 0;
        foreach (var (tokens, gold, predicted) in sentences)
        {
            if (tokens.Count != gold.Count || gold.Count != predicted.Count)
                throw new ArgumentException(
                    $"Sentence {index}: {tokens.Count} tokens, {gold.Count} gold and {predicted.Count} predicted tags.", nameof(sentences));
            for (int i = 0; i < tokens.Count; i++)
            {
                bool correct = string.Equals(gold[i], predicted[i], StringComparison.Ordinal);
                if (isKnown(tokens[i]))
                {
                    known++;
                    knownCorrect += correct ? 1 : 0;
                }
                else
                {
                    unknown++;
                    unknownCorrect += correct ? 1 : 0;
                }
            }
            index++;
        }
        return new KnownWordMetrics(known, knownCorrect, unknown, unknownCorrect);
    }
}
