using static System.FormattableString;
using Microsoft.ML.Runtime;
using MlNetRnn.Models;

namespace MlNetRnn.MlNet;

/// <summary>
/// Reports a tagger's training to an ML.NET channel of the context (so <c>mlContext.Log</c> sees every
/// epoch and the kept epoch), forwards each <see cref="EpochReport"/> to the user's callback, and stops
/// training between epochs when the cancellation token fires.
/// </summary>
internal sealed class TrainingProgress : IDisposable
{
    private readonly IChannel _channel;
    private readonly SequenceTaggerHyperParameters _hyperParameters;
    private readonly bool _hasValidation;
    private readonly Action<EpochReport>? _onEpoch;
    private readonly CancellationToken _cancellationToken;
    private int _lastEpoch;
    private int _bestEpoch;
    private double _bestAccuracy = double.NegativeInfinity;

    public TrainingProgress(
        IChannelProvider host, SequenceTaggerHyperParameters hyperParameters, bool hasValidation,
        Action<EpochReport>? onEpoch, CancellationToken cancellationToken)
    {
        _channel = host.Start("Training");
        _hyperParameters = hyperParameters;
        _hasValidation = hasValidation;
        _onEpoch = onEpoch;
        _cancellationToken = cancellationToken;
    }

    /// <summary>Early stopping keeps the best validation epoch; without it the last epoch is kept.</summary>
    private bool KeepsBestEpoch => _hasValidation && _hyperParameters.EarlyStoppingPatience > 0;

    public void Start(int trainSentences, int validationSentences)
    {
        string validation = validationSentences > 0 ? Invariant($", validating on {validationSentences}") : "";
        Info(Invariant($"training on {trainSentences} sentences{validation}; seed {_hyperParameters.Seed}, {_hyperParameters.Epochs} epochs"));
    }

    /// <summary>The network's per-epoch callback: log, tell the user, then honour cancellation (so a
    /// callback that cancels stops training before the next epoch).</summary>
    public void OnEpoch(EpochReport report)
    {
        string validation = report.DevAccuracy is { } accuracy ? Invariant($", validation accuracy {accuracy:F4}") : "";
        Info(Invariant($"epoch {report.Epoch}/{report.Epochs}: loss {report.Loss:F4}{validation}, {report.Elapsed.TotalSeconds:F1} s"));
        _lastEpoch = report.Epoch;
        // The same rule as the network's early stopping: the first epoch with the highest accuracy.
        if (report.DevAccuracy is { } a && a > _bestAccuracy)
        {
            _bestAccuracy = a;
            _bestEpoch = report.Epoch;
        }
        _onEpoch?.Invoke(report);
        _cancellationToken.ThrowIfCancellationRequested();
    }

    public void Finish()
    {
        if (KeepsBestEpoch && _bestEpoch > 0)
            Info(Invariant($"kept epoch {_bestEpoch} of {_lastEpoch} trained: best validation accuracy {_bestAccuracy:F4} (early stopping, patience {_hyperParameters.EarlyStoppingPatience})"));
        else
            Info(Invariant($"kept epoch {_lastEpoch} of {_lastEpoch} trained (the last)"));
    }

    public void Dispose() => _channel.Dispose();

    private void Info(string message) => _channel.Info(MessageSensitivity.None, message);
}
