using System.Globalization;
using System.Text.RegularExpressions;

namespace MlNetRnn.Training;

/// <summary>
/// Keras <c>ModelCheckpoint</c> (saving once per epoch): after each epoch writes the model, or only its weights,
/// to <see cref="FilePath"/>; with <see cref="SaveBestOnly"/> only when <see cref="Monitor"/> improved.
/// The path may name epoch values: <c>{epoch}</c> (1-based, as Keras) or a log value such as <c>{val_loss}</c>,
/// optionally with a Python-style format: <c>{epoch:02d}</c>, <c>{val_loss:.2f}</c>.
/// Weights go through <see cref="ITrainableModel.SaveWeights"/> (<see cref="WeightsFile"/> format), whole models
/// through <see cref="ITrainableModel.Save"/>.
/// </summary>
public sealed partial class ModelCheckpoint : Callback
{
    private readonly bool _maximize;
    private double _best;

    /// <param name="filepath">Where to write; may contain placeholders (see the class remarks).</param>
    /// <param name="monitor">The value compared with <paramref name="saveBestOnly"/>. Default <c>val_loss</c>.</param>
    /// <param name="saveBestOnly">Write only when the monitored value improved on the best so far. Default false.</param>
    /// <param name="saveWeightsOnly">Write only the weights. Default false (the whole model).</param>
    /// <param name="mode"><c>auto</c>, <c>min</c> or <c>max</c>; auto maximises accuracy-like values. Default auto.</param>
    /// <param name="initialValueThreshold">The value to beat at first with <paramref name="saveBestOnly"/>. Default none.</param>
    /// <param name="verbose">1 prints each save. Default 0.</param>
    /// <exception cref="ArgumentException">An empty path, a malformed placeholder, or an unknown mode.</exception>
    public ModelCheckpoint(string filepath, string monitor = "val_loss", bool saveBestOnly = false, bool saveWeightsOnly = false,
        string mode = "auto", double? initialValueThreshold = null, int verbose = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filepath);
        MonitorMode.CheckMonitor(monitor);
        foreach (Match m in Placeholder().Matches(filepath))
        {
            if (m.Groups[2].Success && !KnownFormat().IsMatch(m.Groups[2].Value))
            {
                throw new ArgumentException(
                    $"Placeholder '{m.Value}' in filepath has format '{m.Groups[2].Value}'; expected d, 0Nd or .Nf (e.g. {{epoch:02d}}, {{val_loss:.2f}}).", nameof(filepath));
            }
        }
        FilePath = filepath;
        Monitor = monitor;
        SaveBestOnly = saveBestOnly;
        SaveWeightsOnly = saveWeightsOnly;
        _maximize = MonitorMode.Maximize(monitor, mode);
        InitialValueThreshold = initialValueThreshold;
        Verbose = verbose;
        _best = initialValueThreshold ?? MonitorMode.Worst(_maximize);
    }

    public string FilePath { get; }
    public string Monitor { get; }
    public bool SaveBestOnly { get; }
    public bool SaveWeightsOnly { get; }
    public double? InitialValueThreshold { get; }
    public int Verbose { get; }

    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        if (SaveBestOnly)
        {
            if (!logs.TryGetValue(Monitor, out double current)) return;
            if (!(_maximize ? current > _best : current < _best)) return;
            _best = current;
        }
        var path = Format(epoch, logs);
        if (SaveWeightsOnly) Model.SaveWeights(path);
        else Model.Save(path);
        if (Verbose > 0) Output.WriteLine($"Epoch {epoch + 1}: saved {(SaveWeightsOnly ? "weights" : "model")} to {path}");
    }

    /// <summary>The path for an epoch: placeholders replaced by the 1-based epoch or the named log value.</summary>
    /// <exception cref="ArgumentException">A placeholder names a value the logs do not have.</exception>
    internal string Format(int epoch, IDictionary<string, double> logs) => Placeholder().Replace(FilePath, m =>
    {
        string key = m.Groups[1].Value;
        double value = key == "epoch" ? epoch + 1
            : logs.TryGetValue(key, out double v) ? v
            : throw new ArgumentException(
                $"filepath names '{{{key}}}' but the epoch's logs hold only: {string.Join(", ", logs.Keys.Prepend("epoch"))}.", nameof(FilePath));
        string format = m.Groups[2].Success ? m.Groups[2].Value : "";
        var fixedPoint = Regex.Match(format, @"^\.(\d+)f$");
        if (fixedPoint.Success) return value.ToString("F" + fixedPoint.Groups[1].Value, CultureInfo.InvariantCulture);
        var integer = Regex.Match(format, @"^0?(\d*)d$");
        if (integer.Success) return ((long)value).ToString("D" + (integer.Groups[1].Value is "" ? "1" : integer.Groups[1].Value), CultureInfo.InvariantCulture);
        return key == "epoch" ? ((long)value).ToString(CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);
    });

    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^(0?\d*d|\.\d+f)$")]
    private static partial Regex KnownFormat();
}
