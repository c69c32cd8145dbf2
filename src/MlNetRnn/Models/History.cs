namespace MlNetRnn.Models;

/// <summary>What <c>Model.Fit</c>
/// recorded, one value per epoch (Keras <c>history.history</c>).</summary>
public sealed class History
{
    internal History(IReadOnlyDictionary<string, IReadOnlyList<double>> values) => Values = values;

    /// <summary>Every logged value per epoch, by name (Keras <c>history.history</c>): <c>loss</c>, compiled metrics such as
    /// <c>accuracy</c>, their <c>val_</c> counterparts with validation data, and values callbacks add (<c>learning_rate</c>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<double>> Values { get; }

    /// <summary>Mean training loss of each epoch, over the samples of its batches, each batch's loss taken before its update.</summary>
    public IReadOnlyList<double> Loss => ValuesOf("loss");

    /// <summary>Loss on the validation data after each epoch; empty without validation data.</summary>
    public IReadOnlyList<double> ValidationLoss => ValuesOf("val_loss");

    /// <summary>The values logged under <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">Nothing was logged under that name; the message lists what was.</exception>
    public IReadOnlyList<double> this[string name] => Values.TryGetValue(name, out var v) ? v
        : throw new KeyNotFoundException($"History has no '{name}'; it has: {string.Join(", ", Values.Keys)}.");

    /// <summary>Epochs run.</summary>
    public int Epochs => Loss.Count;

    private IReadOnlyList<double> ValuesOf(string name) => Values.TryGetValue(name, out var v) ? v : [];
}
