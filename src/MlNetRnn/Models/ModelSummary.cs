using System.Globalization;
using System.Text;

namespace MlNetRnn.Models;

/// <summary>Renders the Keras 3 summary table.</summary>
internal static class ModelSummary
{
    internal sealed record Row(string Layer, string OutputShape, long Params);

    public static string Render(string modelName, IReadOnlyList<Row> rows, long total, long trainable, int bytesPerParam)
    {
        int w1 = Math.Max(31, rows.Max(r => r.Layer.Length)) + 2;
        int w2 = Math.Max(22, rows.Max(r => r.OutputShape.Length)) + 2;
        int w3 = 15;
        var sb = new StringBuilder();
        sb.Append("Model: \"").Append(modelName).Append("\"\n");
        sb.Append('┏').Append('━', w1).Append('┳').Append('━', w2).Append('┳').Append('━', w3).Append("┓\n");
        sb.Append("┃ ").Append("Layer (type)".PadRight(w1 - 2)).Append(" ┃ ").Append("Output Shape".PadRight(w2 - 2))
          .Append(" ┃ ").Append("Param #".PadLeft(w3 - 2)).Append(" ┃\n");
        sb.Append('┡').Append('━', w1).Append('╇').Append('━', w2).Append('╇').Append('━', w3).Append("┩\n");
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            sb.Append("│ ").Append(r.Layer.PadRight(w1 - 2)).Append(" │ ").Append(r.OutputShape.PadRight(w2 - 2))
              .Append(" │ ").Append(r.Params.ToString("N0", CultureInfo.InvariantCulture).PadLeft(w3 - 2)).Append(" │\n");
            if (i < rows.Count - 1)
            {
                sb.Append('├').Append('─', w1).Append('┼').Append('─', w2).Append('┼').Append('─', w3).Append("┤\n");
            }
        }
        sb.Append('└').Append('─', w1).Append('┴').Append('─', w2).Append('┴').Append('─', w3).Append("┘\n");
        sb.Append(" Total params: ").Append(Count(total, bytesPerParam)).Append('\n');
        sb.Append(" Trainable params: ").Append(Count(trainable, bytesPerParam)).Append('\n');
        sb.Append(" Non-trainable params: ").Append(Count(total - trainable, bytesPerParam)).Append('\n');
        return sb.ToString();
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
