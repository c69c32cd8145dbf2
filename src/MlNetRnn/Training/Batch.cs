using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>
/// One training or evaluation batch, as Keras's <c>(x, y, sample_weight)</c> tuple.
/// </summary>
public sealed class Batch
{
    /// <param name="inputs">One tensor per model input, each (batch, …input shape).</param>
    /// <param name="targets">Targets: class indices (batch[, time]) for sparse losses, one-hot (batch[, time], classes) for categorical ones.</param>
    /// <param name="sampleWeight">Optional weights, (batch) or shaped like the loss positions (batch, time). A boolean tensor
    /// is a mask: false positions count neither in the loss nor in the metrics. Default none.</param>
    /// <param name="count">How much this batch counts in the epoch's mean loss. Default: its number of samples (Keras).</param>
    /// <exception cref="ArgumentException">No inputs, or a count that is not positive.</exception>
    public Batch(IReadOnlyList<Tensor> inputs, Tensor targets, Tensor? sampleWeight = null, double? count = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.Count == 0 || inputs.Any(i => i is null))
        {
            throw new ArgumentException($"A batch needs one tensor per model input; received {inputs.Count} with {inputs.Count(i => i is null)} null.", nameof(inputs));
        }
        if (count is { } c && !(c > 0 && double.IsFinite(c)))
        {
            throw new ArgumentException($"count must be a positive number; received {c}.", nameof(count));
        }
        Inputs = inputs;
        Targets = targets;
        SampleWeight = sampleWeight;
        Count = count ?? inputs[0].shape[0];
    }

    /// <summary>One tensor per model input, each (batch, …input shape).</summary>
    public IReadOnlyList<Tensor> Inputs { get; }

    /// <summary>The targets.</summary>
    public Tensor Targets { get; }

    /// <summary>Weights or a boolean mask; null for none.</summary>
    public Tensor? SampleWeight { get; }

    /// <summary>The batch's weight in the epoch's mean loss (its number of samples unless given).</summary>
    public double Count { get; }
}
