namespace MlNetRnn.Models;

/// <summary>What <see cref="Model.Fit"/> recorded, one value per epoch (Keras <c>history.history</c>).</summary>
public sealed class History
{
    internal List<double> LossValues { get; } = [];
    internal List<double> ValidationLossValues { get; } = [];

    /// <summary>Mean training loss of each epoch, over the samples of its batches, each batch's loss taken before its update.</summary>
    public IReadOnlyList<double> Loss => LossValues;

    /// <summary>Loss on the validation data after each epoch; empty without validation data.</summary>
    public IReadOnlyList<double> ValidationLoss => ValidationLossValues;

    /// <summary>Epochs run.</summary>
    public int Epochs => LossValues.Count;
}
