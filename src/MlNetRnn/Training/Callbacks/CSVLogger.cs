using System.Globalization;

namespace MlNetRnn.Training;

/// <summary>
/// Keras <c>CSVLogger</c>: one row per epoch: the 0-based epoch, then the epoch's values in the ordinal order of their
/// names (as Keras sorts them), <c>NA</c> for a value an epoch lacks. The header is written before the first row unless
/// appending to a file that already has content. Each row is appended and the file closed again, so a reader
/// (or a crash) sees only whole lines. Numbers are written in invariant culture, shortest round-trip form.
/// </summary>
public sealed class CSVLogger : Callback
{
    private string[]? _keys;
    private bool _writeHeader;

    /// <param name="filename">The CSV file.</param>
    /// <param name="separator">Between fields. Default <c>,</c>.</param>
    /// <param name="append">Append to an existing file instead of replacing it. Default false.</param>
    /// <exception cref="ArgumentException">An empty file name or separator.</exception>
    public CSVLogger(string filename, string separator = ",", bool append = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filename);
        ArgumentException.ThrowIfNullOrEmpty(separator);
        Filename = filename;
        Separator = separator;
        Append = append;
    }

    public string Filename { get; }
    public string Separator { get; }
    public bool Append { get; }

    public override void OnTrainBegin(IDictionary<string, double> logs)
    {
        _keys = null;
        if (Append)
        {
            _writeHeader = !File.Exists(Filename) || new FileInfo(Filename).Length == 0;
        }
        else
        {
            File.WriteAllText(Filename, "");
            _writeHeader = true;
        }
    }

    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        var text = new System.Text.StringBuilder();
        if (_keys is null)
        {
            _keys = logs.Keys.Order(StringComparer.Ordinal).ToArray();
            if (_writeHeader)
            {
                text.Append(string.Join(Separator, _keys.Prepend("epoch"))).Append('\n');
            }
        }
        var values = _keys.Select(k => logs.TryGetValue(k, out double v) ? v.ToString("R", CultureInfo.InvariantCulture) : "NA");
        text.Append(string.Join(Separator, values.Prepend(epoch.ToString(CultureInfo.InvariantCulture)))).Append('\n');
        File.AppendAllText(Filename, text.ToString());
    }
}
