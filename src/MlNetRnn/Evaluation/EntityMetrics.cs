namespace MlNetRnn.Evaluation;

/// <summary>
/// Span-level scores as conlleval reports them: a predicted span is correct only when a gold span has the
/// same start, end and type. Ratios with a 0 denominator are 0.
/// </summary>
public class EntityScores
{
    internal EntityScores(long goldCount, long predictedCount, long correctCount)
    {
        GoldCount = goldCount;
        PredictedCount = predictedCount;
        CorrectCount = correctCount;
        Precision = Ratio.Of(correctCount, predictedCount);
        Recall = Ratio.Of(correctCount, goldCount);
        F1 = Ratio.F1(Precision, Recall);
    }

    /// <summary>Number of gold spans.</summary>
    public long GoldCount { get; }

    /// <summary>Number of predicted spans.</summary>
    public long PredictedCount { get; }

    /// <summary>Number of predicted spans that exactly match a gold span.</summary>
    public long CorrectCount { get; }

    /// <summary><see cref="CorrectCount"/> / <see cref="PredictedCount"/>.</summary>
    public double Precision { get; }

    /// <summary><see cref="CorrectCount"/> / <see cref="GoldCount"/>.</summary>
    public double Recall { get; }

    /// <summary>Harmonic mean of <see cref="Precision"/> and <see cref="Recall"/>.</summary>
    public double F1 { get; }
}

/// <summary>Overall span scores over all entity types, plus <see cref="PerType"/> (keyed by type without the <c>B-</c>/<c>I-</c> prefix).</summary>
public sealed class EntityMetrics : EntityScores
{
    internal EntityMetrics(long goldCount, long predictedCount, long correctCount, IReadOnlyDictionary<string, EntityScores> perType)
        : base(goldCount, predictedCount, correctCount)
    {
        PerType = perType;
    }

    /// <summary>Scores per entity type found in gold or predictions, in ordinal key order.</summary>
    public IReadOnlyDictionary<string, EntityScores> PerType { get; }
}
