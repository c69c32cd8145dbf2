using Microsoft.ML;
using MlNetRnn.Evaluation;

namespace MlNetRnn.MlNet;

/// <summary>Scores a transformed <see cref="IDataView"/> by streaming its gold and predicted tag columns
/// into <see cref="SequenceTaggingMetrics"/>.</summary>
internal static class SequenceTaggingEvaluator
{
    public static SequenceTaggingMetrics Evaluate(IDataView scored, string labelColumnName, string predictedLabelColumnName)
    {
        ArgumentNullException.ThrowIfNull(scored);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(predictedLabelColumnName);
        // Both columns are checked before any row is read, so schema errors come first and name the column.
        var gold = TagVectorColumn.Open(scored.Schema, labelColumnName, "label");
        var predicted = TagVectorColumn.Open(scored.Schema, predictedLabelColumnName, "predicted label");
        return SequenceTaggingMetrics.Compute(Pairs(scored, gold, predicted));
    }

    /// <summary>Yields one (gold, predicted) pair per row, so the data is never held in memory.</summary>
    private static IEnumerable<(IReadOnlyList<string> Gold, IReadOnlyList<string> Predicted)> Pairs(
        IDataView scored, TagVectorColumn gold, TagVectorColumn predicted)
    {
        using var cursor = scored.GetRowCursor([gold.Column, predicted.Column]);
        var readGold = gold.CreateReader(cursor);
        var readPredicted = predicted.CreateReader(cursor);
        long row = -1;
        while (DataErrors.MoveNext(cursor))
        {
            row++;
            var g = readGold(row);
            var p = readPredicted(row);
            if (g.Length != p.Length)
                throw new InvalidOperationException(
                    $"row {row}: label column '{gold.Column.Name}' has {g.Length} tags but predicted label column '{predicted.Column.Name}' has {p.Length}");
            yield return (g, p);
        }
    }
}
