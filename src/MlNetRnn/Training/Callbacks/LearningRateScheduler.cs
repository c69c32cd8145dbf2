using System.Globalization;

namespace MlNetRnn.Training;

/// <summary>
/// Keras <c>LearningRateScheduler</c>: before each epoch sets the optimizer's learning rate to
/// <c>schedule(epoch, currentLearningRate)</c> (epoch 0-based). Adds <c>learning_rate</c> to each epoch's logs.
/// </summary>
/// <param name="schedule">(0-based epoch, current learning rate) → new learning rate, ≥ 0.</param>
/// <param name="verbose">1 prints each change. Default 0.</param>
public sealed class LearningRateScheduler(Func<int, double, double> schedule, int verbose = 0) : Callback
{
    private readonly Func<int, double, double> _schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));

    public override void OnEpochBegin(int epoch, IDictionary<string, double> logs)
    {
        var optimizer = Model.Optimizer;
        double rate = _schedule(epoch, optimizer.LearningRate);
        if (!(rate >= 0) || double.IsInfinity(rate))
        {
            throw new ArgumentException($"The learning rate schedule must return a number ≥ 0; it returned {rate} for epoch {epoch}.", nameof(schedule));
        }
        optimizer.LearningRate = rate;
        if (verbose > 0)
        {
            Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {rate}."));
        }
    }

    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs) => logs["learning_rate"] = Model.Optimizer.LearningRate;
}
