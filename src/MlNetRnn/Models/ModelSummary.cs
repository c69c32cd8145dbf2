using System.Globalization;
using System.Text;

namespace MlNetRnn.Models;

/// <summary>Renders the Keras 3 summary table.</summary>
internal static class ModelSummary
{
    // ConnectedTo: where the layer's inputs come from (dense[0][0]), for graphs that are not a plain chain; null for none.
    internal sealed record Row(string Layer, string OutputShape, long Params, IReadOnlyList<string>? ConnectedTo = null);

    public static string Render(string modelName, IReadOnlyList<Row> rows, long total, long trainable, int bytesPerParam)
    {
        bool connections = rows.Any(r => r.ConnectedTo is not null);
        // Each row's cells; a cell with several connections spans several lines, the last without a comma.
        var cells = rows.Select(r => new[]
        {
            [r.Layer],
            [r.OutputShape],
            [r.Params.ToString("N0", CultureInfo.InvariantCulture)],
            r.ConnectedTo is { } c ? c.Select((s, i) => i < c.Count - 1 ? s + "," : s).ToArray() : [],
        }).ToArray();
        int[] widths =
        [
            Math.Max(31, rows.Max(r => r.Layer.Length)) + 2,
            Math.Max(22, rows.Max(r => r.OutputShape.Length)) + 2,
            15,
            connections ? Math.Max(20, cells.SelectMany(c => c[3]).Max(s => (int?)s.Length) ?? 0) + 2 : 0,
        ];
        if (!connections) widths = widths[..3];
        string[] titles = ["Layer (type)", "Output Shape", "Param #", "Connected to"];

        var sb = new StringBuilder();
        sb.Append("Model: \"").Append(modelName).Append("\"\n");
        Border(sb, widths, '┏', '┳', '┓', '━');
        Line(sb, widths, titles, '┃');
        Border(sb, widths, '┡', '╇', '┩', '━');
        for (int i = 0; i < rows.Count; i++)
        {
            int lines = Math.Max(1, cells[i][3].Length);
            for (int line = 0; line < lines; line++)
            {
                Line(sb, widths, cells[i].Select(cell => line < cell.Length ? cell[line] : "").ToArray(), '│');
            }
            if (i < rows.Count - 1)
            {
                Border(sb, widths, '├', '┼', '┤', '─');
            }
        }
        Border(sb, widths, '└', '┴', '┘', '─');
        sb.Append(" Total params: ").Append(Count(total, bytesPerParam)).Append('\n');
        sb.Append(" Trainable params: ").Append(Count(trainable, bytesPerParam)).Append('\n');
        sb.Append(" Non-trainable params: ").Append(Count(total - trainable, bytesPerParam)).Append('\n');
        return sb.ToString();
    }

    private static void Border(StringBuilder sb, int[] widths, char left, char middle, char right, char fill)
    {
        sb.Append(left);
        for (int c = 0; c < widths.Length; c++)
        {
            if (c > 0) sb.Append(middle);
            sb.Append(fill, widths[c]);
        }
        sb.Append(right).Append('\n');
    }

    // The parameter count (third column) is right-aligned, as Keras prints it; the others left-aligned.
    private static void Line(StringBuilder sb, int[] widths, IReadOnlyList<string> texts, char rule)
    {
        sb.Append(rule);
        for (int c = 0; c < widths.Length; c++)
        {
            if (c > 0) sb.Append(rule);
            string text = c == 2 ? texts[c].PadLeft(widths[c] - 2) : texts[c].PadRight(widths[c] - 2);
            sb.Append(' ').Append(text).Append(' ');
        }
        sb.Append(rule).Append('\n');
    }

    private static string Count(long n, int bytesPerParam) =>
        $"{n.ToString("N0", CultureInfo.InvariantCulture)} ({Bytes(n * bytesPerParam)})";

    private static string Bytes(double bytes)
    {
        string[] units = ["B", "KB", "MB", "GB"];
        int u = 0;
        while (bytes >= 1024 && u < units.Length - 1)
        {
            bytes /= 1024;
            u++;
        }
        return bytes.ToString("F2", CultureInfo.InvariantCulture) + " " + units[u];
    }
}
