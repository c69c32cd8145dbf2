using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>
/// Keras <c>EarlyStopping</c>: stops training when <see cref="Monitor"/> has not improved by more than
/// <see cref="MinDelta"/> for <see cref="Patience"/> epochs, optionally putting back the weights of the best epoch
/// when training ends. Epochs before <see cref="StartFromEpoch"/> are ignored. A missing monitored value is skipped.
/// </summary>
public sealed class EarlyStopping : Callback
{
    private IReadOnlyList<Tensor>? _bestWeights;
    private bool _maximize;
    private int _wait;

    /// <param name="monitor">The value watched. Default <c>val_loss</c>.</param>
    /// <param name="minDelta">Smallest change that counts as an improvement (its sign is ignored). Default 0.</param>
    /// <param name="patience">Epochs without improvement before stopping. Default 0.</param>
    /// <param name="mode"><c>auto</c>, <c>min</c> or <c>max</c>; auto maximises accuracy-like values. Default auto.</param>
    /// <param name="restoreBestWeights">Put back the weights of the best epoch when training ends. Default false.</param>
    /// <param name="startFromEpoch">Epochs (0-based) to wait before watching. Default 0.</param>
    /// <param name="baseline">A value the monitored quantity must beat for the wait to restart. Default none.</param>
    /// <param name="verbose">1 prints when it stops and restores. Default 0.</param>
    /// <exception cref="ArgumentException">A negative patience or start epoch, or an unknown mode.</exception>
    public EarlyStopping(string monitor = "val_loss", double minDelta = 0, int patience = 0, string mode = "auto",
        bool restoreBestWeights = false, int startFromEpoch = 0, double? baseline = null, int verbose = 0)
    {
        MonitorMode.CheckMonitor(monitor);
        Patience = Arguments.NonNegative(patience, nameof(patience));
        StartFromEpoch = Arguments.NonNegative(startFromEpoch, nameof(startFromEpoch));
        Monitor = monitor;
        MinDelta = Math.Abs(minDelta);
        _maximize = MonitorMode.Maximize(monitor, mode);
        RestoreBestWeights = restoreBestWeights;
        Baseline = baseline;
        Verbose = verbose;
    }

    public string Monitor { get; }
    public double MinDelta { get; }
    public int Patience { get; }
    public bool RestoreBestWeights { get; }
    public int StartFromEpoch { get; }
    public double? Baseline { get; }
    public int Verbose { get; }

    /// <summary>The best monitored value so far.</summary>
    public double Best { get; private set; }

    /// <summary>The 0-based epoch of <see cref="Best"/>.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The 0-based epoch at which training was stopped; 0 if it was not.</summary>
    public int StoppedEpoch { get; private set; }

    public override void OnTrainBegin(IDictionary<string, double> logs)
    {
        ReleaseResources();
        _wait = 0;
        StoppedEpoch = 0;
        BestEpoch = 0;
        Best = MonitorMode.Worst(_maximize);
    }

    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        if (!logs.TryGetValue(Monitor, out double current) || epoch < StartFromEpoch) return;
        if (RestoreBestWeights && _bestWeights is null)
        {
            // Until something improves, the first watched epoch's weights are the best.
            _bestWeights = Snapshot();
            BestEpoch = epoch;
        }
        _wait++;
        if (IsImprovement(current, Best))
        {
            Best = current;
            BestEpoch = epoch;
            if (RestoreBestWeights)
            {
                ReleaseResources();
                _bestWeights = Snapshot();
            }
            if (Baseline is not { } b || IsImprovement(current, b))
            {
                _wait = 0;
            }
            return;
        }
        if (_wait >= Patience && epoch > 0)
        {
            StoppedEpoch = epoch;
            Model.StopTraining = true;
        }
    }

    public override void OnTrainEnd(IDictionary<string, double> logs)
    {
        if (StoppedEpoch > 0 && Verbose > 0) Output.WriteLine($"Epoch {StoppedEpoch + 1}: early stopping");
        if (RestoreBestWeights && _bestWeights is not null)
        {
            if (Verbose > 0) Output.WriteLine($"Restoring model weights from the end of the best epoch: {BestEpoch + 1}.");
            Model.SetWeights(_bestWeights);
        }
        ReleaseResources();
    }

    protected internal override void ReleaseResources()
    {
        foreach (var w in _bestWeights ?? []) w.Dispose();
        _bestWeights = null;
    }

    private bool IsImprovement(double value, double reference) =>
        _maximize ? value - MinDelta > reference : value + MinDelta < reference;

    // Copies that belong to this callback, not to any dispose scope of the caller.
    private Tensor[] Snapshot() => Model.GetWeights().Select(w => w.DetachFromDisposeScope()).ToArray();
}
