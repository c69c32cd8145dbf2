using System.Collections.ObjectModel;

namespace MlNetRnn.Evaluation;

/// <summary>
/// Token, sentence, per-tag and (for BIO tag sets) entity-level scores of a sequence tagger, computed from
/// pairs of gold and predicted tag sequences. Ratios whose denominator is 0 are defined as 0.
/// </summary>
public sealed class SequenceTaggingMetrics
{
    private SequenceTaggingMetrics(
        long tokenCount, long correctTokens, int sentenceCount, int correctSentences,
        IReadOnlyDictionary<string, TagMetrics> perTag, TagConfusionMatrix confusionMatrix, EntityMetrics? entities)
    {
        TokenCount = tokenCount;
        SentenceCount = sentenceCount;
        TokenAccuracy = Ratio.Of(correctTokens, tokenCount);
        SentenceAccuracy = Ratio.Of(correctSentences, sentenceCount);
        PerTag = perTag;
        ConfusionMatrix = confusionMatrix;
        Entities = entities;
        MicroF1 = TokenAccuracy;
        MacroF1 = perTag.Count == 0 ? 0.0 : perTag.Values.Average(m => m.F1);
    }

    /// <summary>Correct tokens / <see cref="TokenCount"/>.</summary>
    public double TokenAccuracy { get; }

    /// <summary>Sentences whose predicted sequence equals the gold sequence exactly / <see cref="SentenceCount"/>.</summary>
    public double SentenceAccuracy { get; }

    /// <summary>Number of tokens over all sentences.</summary>
    public long TokenCount { get; }

    /// <summary>Number of sentences (empty ones included).</summary>
    public int SentenceCount { get; }

    /// <summary>Scores per tag for every tag in gold ∪ predicted, in ordinal key order.</summary>
    public IReadOnlyDictionary<string, TagMetrics> PerTag { get; }

    /// <summary>
    /// F1 pooled over all tags. With exactly one gold and one predicted tag per token, every error is one false
    /// positive and one false negative, so micro precision = micro recall = micro F1 = <see cref="TokenAccuracy"/>.
    /// </summary>
    public double MicroF1 { get; }

    /// <summary>
    /// Unweighted mean of <see cref="TagMetrics.F1"/> over <see cref="PerTag"/>, i.e. over tags with support &gt; 0
    /// or predicted count &gt; 0. A tag that is only ever predicted, never gold, counts with F1 = 0, so spurious
    /// predictions lower the score rather than being ignored.
    /// </summary>
    public double MacroF1 { get; }

    /// <summary>Token counts by (gold, predicted) tag.</summary>
    public TagConfusionMatrix ConfusionMatrix { get; }

    /// <summary>
    /// Span scores computed the conlleval way, or <c>null</c> unless every gold and predicted tag is <c>O</c>,
    /// <c>B-TYPE</c> or <c>I-TYPE</c> (IOB2/BIO). A chunk starts at <c>B-X</c>, or at <c>I-X</c> after <c>O</c>,
    /// after a tag of another type or at sentence start; it ends before <c>O</c>, any <c>B-</c>, a tag of another
    /// type, or at sentence end.
    /// </summary>
    public EntityMetrics? Entities { get; }

    /// <summary>
    /// Scores the tagger over <paramref name="sentences"/>, each a gold and a predicted tag sequence of equal length.
    /// The sequence is enumerated once.
    /// </summary>
    /// <exception cref="ArgumentException">A pair is null or its two sequences differ in length (the message names the 0-based sentence index and both lengths).</exception>
    public static SequenceTaggingMetrics Compute(
        IEnumerable<(IReadOnlyList<string> Gold, IReadOnlyList<string> Predicted)> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var pairCounts = new Dictionary<(string Gold, string Predicted), long>();
        var spans = new SpanTally();
        var isBio = true;
        long tokenCount = 0, correctTokens = 0;
        int sentenceCount = 0, correctSentences = 0;

        foreach (var (gold, predicted) in sentences)
        {
            if (gold is null || predicted is null)
            {
                throw new ArgumentException($"Sentence {sentenceCount}: gold and predicted tags must not be null.", nameof(sentences));
            }

            if (gold.Count != predicted.Count)
            {
                throw new ArgumentException(
                    $"Sentence {sentenceCount}: gold has {gold.Count} tags but predicted has {predicted.Count}.",
                    nameof(sentences));
            }

            var allCorrect = true;
            for (var i = 0; i < gold.Count; i++)
            {
                var key = (gold[i], predicted[i]);
                pairCounts[key] = pairCounts.GetValueOrDefault(key) + 1;
                if (string.Equals(gold[i], predicted[i], StringComparison.Ordinal))
                {
                    correctTokens++;
                }
                else
                {
                    allCorrect = false;
                }

                isBio = isBio && IsBioTag(gold[i]) && IsBioTag(predicted[i]);
            }

            if (isBio)
            {
                spans.Add(gold, predicted);
            }

            tokenCount += gold.Count;
            sentenceCount++;
            correctSentences += allCorrect ? 1 : 0;
        }

        var labels = pairCounts.Keys.SelectMany(k => new[] { k.Gold, k.Predicted })
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var index = labels.Select((label, i) => (label, i)).ToDictionary(p => p.label, p => p.i, StringComparer.Ordinal);
        var matrix = new long[labels.Length, labels.Length];
        foreach (var ((g, p), count) in pairCounts)
        {
            matrix[index[g], index[p]] = count;
        }

        var perTag = new SortedDictionary<string, TagMetrics>(StringComparer.Ordinal);
        for (var t = 0; t < labels.Length; t++)
        {
            long support = 0, predictedCount = 0;
            for (var other = 0; other < labels.Length; other++)
            {
                support += matrix[t, other];
                predictedCount += matrix[other, t];
            }

            var precision = Ratio.Of(matrix[t, t], predictedCount);
            var recall = Ratio.Of(matrix[t, t], support);
            perTag[labels[t]] = new TagMetrics(precision, recall, Ratio.F1(precision, recall), support, predictedCount);
        }

        return new SequenceTaggingMetrics(
            tokenCount, correctTokens, sentenceCount, correctSentences,
            new ReadOnlyDictionary<string, TagMetrics>(perTag),
            new TagConfusionMatrix(labels, matrix),
            isBio ? spans.ToMetrics() : null);
    }

    private static bool IsBioTag(string tag) =>
        tag == "O" || (tag.Length > 2 && (tag[0] == 'B' || tag[0] == 'I') && tag[1] == '-');

    /// <summary>Accumulates gold, predicted and matching span counts per entity type.</summary>
    private sealed class SpanTally
    {
        private readonly SortedDictionary<string, (long Gold, long Predicted, long Correct)> _byType = new(StringComparer.Ordinal);
        private readonly List<(int Start, int End, string Type)> _gold = [];
        private readonly HashSet<(int Start, int End, string Type)> _predicted = [];

        public void Add(IReadOnlyList<string> gold, IReadOnlyList<string> predicted)
        {
            _gold.Clear();
            _predicted.Clear();
            foreach (var span in Chunks(gold))
            {
                _gold.Add(span);
                Bump(span.Type, gold: 1, predicted: 0, correct: 0);
            }

            foreach (var span in Chunks(predicted))
            {
                _predicted.Add(span);
                Bump(span.Type, gold: 0, predicted: 1, correct: 0);
            }

            foreach (var span in _gold.Where(_predicted.Contains))
            {
                Bump(span.Type, gold: 0, predicted: 0, correct: 1);
            }
        }

        public EntityMetrics ToMetrics()
        {
            var perType = new SortedDictionary<string, EntityScores>(StringComparer.Ordinal);
            foreach (var (type, c) in _byType)
            {
                perType[type] = new EntityScores(c.Gold, c.Predicted, c.Correct);
            }

            return new EntityMetrics(
                _byType.Values.Sum(c => c.Gold), _byType.Values.Sum(c => c.Predicted), _byType.Values.Sum(c => c.Correct),
                new ReadOnlyDictionary<string, EntityScores>(perType));
        }

        private void Bump(string type, long gold, long predicted, long correct)
        {
            var c = _byType.GetValueOrDefault(type);
            _byType[type] = (c.Gold + gold, c.Predicted + predicted, c.Correct + correct);
        }

        /// <summary>Spans as [Start, End) token ranges, following conlleval's start/end-of-chunk rules for IOB2 tags.</summary>
        private static IEnumerable<(int Start, int End, string Type)> Chunks(IReadOnlyList<string> tags)
        {
            string? type = null;
            var start = 0;
            for (var i = 0; i < tags.Count; i++)
            {
                var tag = tags[i];
                if (tag == "O")
                {
                    if (type is not null)
                    {
                        yield return (start, i, type);
                        type = null;
                    }

                    continue;
                }

                var tagType = tag[2..];
                // I-X continues only an open chunk of type X; B-X always starts a new one, and an I-X after O or another type starts one too.
                if (tag[0] == 'B' || !string.Equals(type, tagType, StringComparison.Ordinal))
                {
                    if (type is not null)
                    {
                        yield return (start, i, type);
                    }

                    type = tagType;
                    start = i;
                }
            }

            if (type is not null)
            {
                yield return (start, tags.Count, type);
            }
        }
    }
}
