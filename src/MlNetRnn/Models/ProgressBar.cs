using System.Diagnostics;
using System.Globalization;

namespace MlNetRnn.Models;

/// <summary>Keras-style training progress: verbose 1 redraws a bar per batch, verbose 2 prints a line per epoch.</summary>
internal sealed class ProgressBar(TextWriter output, int verbose)
{
    private const int Width = 20;
    private readonly Stopwatch _clock = new();
    private int _batches;
    private int _done;

    public void StartEpoch(int epoch, int epochs, int batches)
    {
        _batches = batches;
        _done = 0;
        _clock.Restart();
        if (verbose > 0)
        {
            output.WriteLine($"Epoch {epoch}/{epochs}");
        }
    }

    public void Batch(int done, double meanLoss)
    {
        _done = done;
        if (verbose == 1)
        {
            output.Write($"\r{Line(meanLoss, null)}");
        }
    }

    public void EndEpoch(double loss, double? validationLoss)
    {
        if (verbose == 1)
        {
            output.WriteLine($"\r{Line(loss, validationLoss)}");
        }
        else if (verbose == 2)
        {
            output.WriteLine(Line(loss, validationLoss));
        }
    }

    private string Line(double loss, double? validationLoss)
    {
        int filled = _batches == 0 ? Width : _done * Width / _batches;
        var bar = new string('━', filled) + new string('─', Width - filled);
        double ms = _clock.Elapsed.TotalMilliseconds;
        var perStep = _done == 0 ? 0 : ms / _done;
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{_done}/{_batches} {bar} {ms / 1000:F0}s {perStep:F0}ms/step - loss: {loss:F4}");
        return validationLoss is { } v ? text + string.Create(CultureInfo.InvariantCulture, $" - val_loss: {v:F4}") : text;
    }
}
