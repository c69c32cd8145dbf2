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
    private readonly Dictionary<int, double> _accuracies = [];
    private EpochReport? _last;

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
        _last = report;
        if (report.DevAccuracy is { } a) _accuracies[report.Epoch] = a;
        _onEpoch?.Invoke(report);
        _cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Logs the epoch the network kept, as its last report says.</summary>
    public void Finish()
    {
        if (_last is not { } last) return;
        if (KeepsBestEpoch && _accuracies.TryGetValue(last.KeptEpoch, out double accuracy))
            Info(Invariant($"kept epoch {last.KeptEpoch} of {last.Epoch} trained: best validation accuracy {accuracy:F4} (early stopping, patience {_hyperParameters.EarlyStoppingPatience})"));
        else
            Info(Invariant($"kept epoch {last.KeptEpoch} of {last.Epoch} trained (the last)"));
    }

    public void Dispose() => _channel.Dispose();

    private void Info(string message) => _channel.Info(MessageSensitivity.None, message);
}
