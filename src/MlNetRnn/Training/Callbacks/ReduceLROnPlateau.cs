using System.Globalization;

namespace MlNetRnn.Training;

/// <summary>
/// Keras <c>ReduceLROnPlateau</c>: multiplies the optimizer's learning rate by <see cref="Factor"/> (not below
/// <see cref="MinLearningRate"/>) once <see cref="Monitor"/> has not improved by more than <see cref="MinDelta"/>
/// for <see cref="Patience"/> epochs, then waits <see cref="Cooldown"/> epochs. Adds <c>learning_rate</c> to each epoch's logs.
/// </summary>
public sealed class ReduceLROnPlateau : Callback
{
    private readonly bool _maximize;
    private int _wait;
    private int _cooldownCounter;
    private double _best;

    /// <param name="monitor">The value watched. Default <c>val_loss</c>.</param>
    /// <param name="factor">Multiplier of the learning rate, in (0, 1). Default 0.1.</param>
    /// <param name="patience">Epochs without improvement before reducing. Default 10.</param>
    /// <param name="mode"><c>auto</c>, <c>min</c> or <c>max</c>; auto maximises accuracy-like values. Default auto.</param>
    /// <param name="minDelta">Change needed to count as an improvement. Default 1e-4.</param>
    /// <param name="cooldown">Epochs to wait after a reduction before counting again. Default 0.</param>
    /// <param name="minLearningRate">Lower bound of the learning rate (Keras <c>min_lr</c>). Default 0.</param>
    /// <param name="verbose">1 prints each reduction. Default 0.</param>
    /// <exception cref="ArgumentException">A factor outside (0, 1), a negative patience, cooldown or bound, or an unknown mode.</exception>
    public ReduceLROnPlateau(string monitor = "val_loss", double factor = 0.1, int patience = 10, string mode = "auto",
        double minDelta = 1e-4, int cooldown = 0, double minLearningRate = 0, int verbose = 0)
    {
        MonitorMode.CheckMonitor(monitor);
        if (!(factor is > 0 and < 1)) throw new ArgumentException($"ReduceLROnPlateau needs a factor in (0, 1); received {factor}.", nameof(factor));
        Patience = Arguments.NonNegative(patience, nameof(patience));
        Cooldown = Arguments.NonNegative(cooldown, nameof(cooldown));
        MinLearningRate = Arguments.NonNegative(minLearningRate, nameof(minLearningRate));
        Monitor = monitor;
        Factor = factor;
        _maximize = MonitorMode.Maximize(monitor, mode);
        MinDelta = minDelta;
        Verbose = verbose;
        Reset();
    }

    public string Monitor { get; }
    public double Factor { get; }
    public int Patience { get; }
    public double MinDelta { get; }
    public int Cooldown { get; }
    public double MinLearningRate { get; }
    public int Verbose { get; }

    public override void OnTrainBegin(IDictionary<string, double> logs) => Reset();

    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        var optimizer = Model.Optimizer;
        logs["learning_rate"] = optimizer.LearningRate;
        if (!logs.TryGetValue(Monitor, out double current)) return;
        if (_cooldownCounter > 0)
        {
            _cooldownCounter--;
            _wait = 0;
        }
        if (_maximize ? current > _best + MinDelta : current < _best - MinDelta)
        {
            _best = current;
            _wait = 0;
        }
        else if (_cooldownCounter == 0 && ++_wait >= Patience && optimizer.LearningRate > MinLearningRate)
        {
            double reduced = Math.Max(optimizer.LearningRate * Factor, MinLearningRate);
            optimizer.LearningRate = reduced;
            if (Verbose > 0)
            {
                Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {reduced}."));
            }
            _cooldownCounter = Cooldown;
            _wait = 0;
        }
    }

    private void Reset()
    {
        _best = MonitorMode.Worst(_maximize);
        _cooldownCounter = 0;
        _wait = 0;
    }
}
