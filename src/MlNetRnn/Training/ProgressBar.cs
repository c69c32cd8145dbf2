using System.Diagnostics;
using System.Globalization;

namespace MlNetRnn.Training;

/// <summary>Keras-style training progress: verbose 1 redraws a bar per batch, verbose 2 prints a line per epoch.
/// Values print in the order of the logs (loss first), four decimals.</summary>
internal sealed class ProgressBar(TextWriter output, int verbose)
{
    private const int Width = 20;
    private readonly Stopwatch _clock = new();
    private int? _batches;
    private int _done;

    public void StartEpoch(int epoch, int epochs, int? batches)
    {
        _batches = batches;
        _done = 0;
        _clock.Restart();
        if (verbose > 0)
        {
            output.WriteLine($"Epoch {epoch}/{epochs}");
        }
    }

    public void Batch(int done, IEnumerable<KeyValuePair<string, double>> logs)
    {
        _done = done;
        if (verbose == 1)
        {
            output.Write($"\r{Line(logs)}");
        }
    }

    public void EndEpoch(IEnumerable<KeyValuePair<string, double>> logs)
    {
        if (verbose == 1)
        {
            output.WriteLine($"\r{Line(logs)}");
        }
        else if (verbose == 2)
        {
            output.WriteLine(Line(logs));
        }
    }

    private string Line(IEnumerable<KeyValuePair<string, double>> logs)
    {
        double ms = _clock.Elapsed.TotalMilliseconds;
        var perStep = _done == 0 ? 0 : ms / _done;
        string progress;
        if (_batches is { } total)
        {
            int filled = total == 0 ? Width : Math.Min(Width, _done * Width / total);
            progress = $"{_done}/{total} {new string('━', filled)}{new string('─', Width - filled)}";
        }
        else
        {
            progress = $"{_done}/Unknown";
        }
        var values = string.Concat(logs.Select(p => string.Create(CultureInfo.InvariantCulture, $" - {p.Key}: {p.Value:F4}")));
        return string.Create(CultureInfo.InvariantCulture, $"{progress} {ms / 1000:F0}s {perStep:F0}ms/step{values}");
    }
}
