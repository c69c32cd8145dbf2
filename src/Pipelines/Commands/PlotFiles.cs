using System.Globalization;
using MlNetRnn.Data;
using MlNetRnn.Evaluation;
using MlNetRnn.Models;
using ScottPlot;

namespace MlNetRnn.Pipelines.Commands;

/// <summary>
/// The PNG plots of <c>--plot</c>: training curves (train) and the confusion matrix heat map (evaluate), drawn
/// with ScottPlot and written atomically. <see cref="CheckWritable"/> runs before the work whose result is plotted.
/// </summary>
public static class PlotFiles
{
    /// <summary>Cells of the heat map get their count written in them up to this many tags (beyond, they are too small to read).</summary>
    public const int MaxAnnotatedTags = 30;

    private const int CurvesWidth = 900, CurvesHeight = 540;

    /// <summary>Throws an <see cref="IOException"/> naming <c>--plot</c> unless <paramref name="path"/> can be written now.</summary>
    public static void CheckWritable(string path) => CliErrors.ForOption("--plot", () => SafeFile.CheckWritable(path));

    /// <summary>Training loss (left axis) and, when there was dev data, dev accuracy (right axis) for each epoch.</summary>
    public static void WriteTrainingCurves(string path, IReadOnlyList<EpochReport> reports)
    {
        var plot = new Plot();
        double[] epochs = reports.Select(r => (double)r.Epoch).ToArray();
        var loss = plot.Add.Scatter(epochs, reports.Select(r => r.Loss).ToArray());
        loss.LegendText = "training loss";
        plot.Axes.Left.Label.Text = "training loss (mean per token)";
        plot.Axes.Bottom.Label.Text = "epoch";
        if (reports.Any(r => r.DevAccuracy is not null))
        {
            var scored = reports.Where(r => r.DevAccuracy is not null).ToArray();
            var accuracy = plot.Add.Scatter(scored.Select(r => (double)r.Epoch).ToArray(), scored.Select(r => r.DevAccuracy!.Value).ToArray());
            accuracy.LegendText = "dev accuracy";
            accuracy.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = "dev token accuracy";
        }
        // Whole epochs only: a tick at 1.5 would name no epoch.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Title("Training");
        plot.ShowLegend(Alignment.UpperCenter);
        Save(path, plot, CurvesWidth, CurvesHeight);
    }

    /// <summary>The confusion matrix as a heat map: gold tags down, predicted tags across, each cell coloured by
    /// its share of the gold tag's tokens (so a rare tag's errors show as clearly as a frequent one's) and, for
    /// up to <see cref="MaxAnnotatedTags"/> tags, labelled with its count.</summary>
    public static void WriteConfusionMatrix(string path, TagConfusionMatrix matrix)
    {
        int n = matrix.Labels.Count;
        var counts = matrix.ToArray();
        var shares = new double[n, n];
        for (int gold = 0; gold < n; gold++)
        {
            long total = 0;
            for (int predicted = 0; predicted < n; predicted++) total += counts[gold, predicted];
            for (int predicted = 0; predicted < n; predicted++)
                shares[gold, predicted] = total == 0 ? 0 : (double)counts[gold, predicted] / total;
        }
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(shares);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        // ScottPlot centres cell (gold, predicted) on x = predicted, y = n - 1 - gold: the first gold tag is the top row.
        plot.Add.ColorBar(heatmap);
        double[] positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, matrix.Labels.ToArray());
        plot.Axes.Left.SetTicks(positions, matrix.Labels.Reverse().ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 90;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        // Rotated labels are not measured by the axis: leave room for the longest, below the ticks.
        plot.Axes.Bottom.MinimumSize = 40 + 8 * matrix.Labels.Max(l => l.Length);
        plot.Axes.Bottom.Label.Text = "predicted tag";
        plot.Axes.Left.Label.Text = "gold tag";
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        if (n <= MaxAnnotatedTags)
        {
            for (int gold = 0; gold < n; gold++)
            {
                for (int predicted = 0; predicted < n; predicted++)
                {
                    if (counts[gold, predicted] == 0) continue;
                    var text = plot.Add.Text(counts[gold, predicted].ToString(CultureInfo.InvariantCulture), predicted, n - 1 - gold);
                    text.LabelAlignment = Alignment.MiddleCenter;
                    text.LabelFontSize = 11;
                    // Light text on the dark (low) end of the colour map, dark text on the bright end.
                    text.LabelFontColor = shares[gold, predicted] < 0.6 ? Colors.White : Colors.Black;
                }
            }
        }
        plot.Title("Confusion matrix (colour: share of each gold tag)");
        int side = Math.Clamp(220 + 32 * n, 500, 1800);
        Save(path, plot, side + 120, side);
    }

    private static void Save(string path, Plot plot, int width, int height)
    {
        var png = plot.GetImageBytes(width, height, ImageFormat.Png);
        try
        {
            SafeFile.WriteAtomically(path, stream => stream.Write(png));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"--plot {path}: the plot could not be saved: {e.Message}", e);
        }
    }
}
