using System.Diagnostics;
using System.Globalization;
using MlNetRnn.Models;

namespace MlNetRnn.Pipelines.Commands;

/// <summary>
/// The progress of the current epoch on one stderr line redrawn with <c>\r</c> (a bar, the batch count, the running
/// loss and the time left), shown only when stderr is a terminal so that redirected output keeps exactly the epoch
/// lines. <see cref="Clear"/> erases it before an epoch's line is printed, so no figure stays on screen twice.
/// </summary>
public sealed class BatchProgressLine
{
    private const int BarWidth = 30;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    private readonly TextWriter _output;
    private readonly Stopwatch _epochClock = Stopwatch.StartNew();
    private readonly Stopwatch _sinceDraw = new();
    private int _drawnLength;

    /// <param name="output">Where the line goes (the caller's stderr when it is a terminal).</param>
    public BatchProgressLine(TextWriter output) => _output = output;

    /// <summary>A line on stderr when stderr is a terminal; otherwise null (nothing to show).</summary>
    public static BatchProgressLine? ForStandardError() => Console.IsErrorRedirected ? null : new BatchProgressLine(Console.Error);

    /// <summary>Redraws the line for <paramref name="report"/> (at most every 100 ms, and always at the epoch's last batch).</summary>
    public void Update(BatchReport report)
    {
        if (report.Batch < report.Batches && _sinceDraw.IsRunning && _sinceDraw.Elapsed < RedrawInterval) return;
        _sinceDraw.Restart();
        var line = Format(report, _epochClock.Elapsed);
        _output.Write('\r' + line.PadRight(_drawnLength));
        _output.Flush();
        _drawnLength = line.Length;
    }

    /// <summary>Erases the line and restarts the epoch clock: call it before printing an epoch's line.</summary>
    public void Clear()
    {
        if (_drawnLength > 0)
        {
            _output.Write('\r' + new string(' ', _drawnLength) + '\r');
            _output.Flush();
            _drawnLength = 0;
        }
        _sinceDraw.Reset();
        _epochClock.Restart();
    }

    /// <summary>"epoch 2/10 [#####-----] 12/40 loss 1.2345 ETA 0:07" for <paramref name="elapsed"/> since the epoch began.</summary>
    public static string Format(BatchReport report, TimeSpan elapsed)
    {
        int filled = report.Batches == 0 ? 0 : (int)((long)BarWidth * report.Batch / report.Batches);
        var left = report.Batch == 0 ? TimeSpan.Zero : elapsed * ((double)(report.Batches - report.Batch) / report.Batch);
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {report.Epoch}/{report.Epochs} [{new string('#', filled)}{new string('-', BarWidth - filled)}] {report.Batch}/{report.Batches} loss {report.Loss:F4} ETA {(int)left.TotalMinutes}:{left.Seconds:D2}");
    }
}
