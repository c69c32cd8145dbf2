using System.Globalization;
using System.Text;

namespace MlNetRnn.Evaluation;

/// <summary>
/// Token counts by (gold tag, predicted tag). <see cref="Labels"/> is gold ∪ predicted tags, sorted ordinally;
/// rows are gold, columns predicted.
/// </summary>
public sealed class TagConfusionMatrix
{
    private readonly long[,] _counts;
    private readonly Dictionary<string, int> _index;

    internal TagConfusionMatrix(IReadOnlyList<string> labels, long[,] counts)
    {
        Labels = labels;
        _counts = counts;
        _index = labels.Select((label, i) => (label, i)).ToDictionary(p => p.label, p => p.i, StringComparer.Ordinal);
    }

    /// <summary>All tags seen in gold or predictions, in ordinal order; the row and column order of <see cref="ToArray"/>.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Tokens whose gold tag is <paramref name="gold"/> and predicted tag <paramref name="predicted"/>; 0 for unseen tags.</summary>
    public long Count(string gold, string predicted) =>
        _index.TryGetValue(gold, out var g) && _index.TryGetValue(predicted, out var p) ? _counts[g, p] : 0;

    /// <summary>A copy of the counts as <c>[gold, predicted]</c>, indexed in <see cref="Labels"/> order.</summary>
    public long[,] ToArray() => (long[,])_counts.Clone();

    /// <summary>A plain-text table: one row per gold tag, one column per predicted tag, header <c>gold\pred</c>.</summary>
    public override string ToString()
    {
        const string corner = "gold\\pred";
        var cells = new string[Labels.Count, Labels.Count];
        var firstWidth = Math.Max(corner.Length, Labels.Select(l => l.Length).DefaultIfEmpty(0).Max());
        var widths = new int[Labels.Count];
        for (var p = 0; p < Labels.Count; p++)
        {
            widths[p] = Labels[p].Length;
            for (var g = 0; g < Labels.Count; g++)
            {
                cells[g, p] = _counts[g, p].ToString(CultureInfo.InvariantCulture);
                widths[p] = Math.Max(widths[p], cells[g, p].Length);
            }
        }

        var text = new StringBuilder();
        text.Append(corner.PadRight(firstWidth));
        for (var p = 0; p < Labels.Count; p++)
        {
            text.Append(' ').Append(Labels[p].PadLeft(widths[p]));
        }

        for (var g = 0; g < Labels.Count; g++)
        {
            text.AppendLine().Append(Labels[g].PadRight(firstWidth));
            for (var p = 0; p < Labels.Count; p++)
            {
                text.Append(' ').Append(cells[g, p].PadLeft(widths[p]));
            }
        }

        return text.ToString();
    }
}
