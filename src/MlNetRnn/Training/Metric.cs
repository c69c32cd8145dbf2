using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>
/// A Keras metric: a weighted mean accumulated over the batches of an epoch (or of an evaluation), reset
/// at the start of each. Names resolve with <see cref="Get"/> (<c>"accuracy"</c>, …).
/// </summary>
public abstract class Metric
{
    private double _total;
    private double _weight;

    /// <summary>The name reported in logs and in <c>History</c> (validation values get a <c>val_</c> prefix).</summary>
    public abstract string Name { get; }

    /// <summary>Weighted mean so far; 0 before any position was counted.</summary>
    public double Result => _weight == 0 ? 0 : _total / _weight;

    /// <summary>Forgets everything accumulated.</summary>
    public void Reset()
    {
        _total = 0;
        _weight = 0;
    }

    /// <summary>Adds a batch.</summary>
    /// <param name="yTrue">Targets, as the loss takes them.</param>
    /// <param name="yPred">Model output, (batch[, time], classes).</param>
    /// <param name="mask">Optional boolean mask, one value per position; false positions do not count.</param>
    /// <param name="sampleWeight">Optional weights, (batch) or one per position; a boolean tensor acts as a mask.</param>
    public void Update(Tensor yTrue, Tensor yPred, Tensor? mask = null, Tensor? sampleWeight = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var values = PerPosition(yTrue, yPred).to_type(ScalarType.Float64);
        var weights = mask?.to_type(ScalarType.Float64);
        if (sampleWeight is not null)
        {
            var w = Loss.Broadcast(sampleWeight.to_type(ScalarType.Float64), values).expand_as(values);
            weights = weights is null ? w : weights * w;
        }
        if (weights is null)
        {
            _total += values.sum().ToDouble();
            _weight += values.numel();
        }
        else
        {
            _total += (values * weights).sum().ToDouble();
            _weight += weights.expand_as(values).sum().ToDouble();
        }
    }

    /// <summary>The metric's value at each position, e.g. 1 where the prediction is right and 0 where it is wrong.</summary>
    protected abstract Tensor PerPosition(Tensor yTrue, Tensor yPred);

    /// <summary>Resolves a Keras metric name. <c>"accuracy"</c> (or <c>"acc"</c>) becomes the accuracy that fits the loss:
    /// sparse categorical accuracy for <c>sparse_categorical_crossentropy</c>, categorical accuracy for <c>categorical_crossentropy</c>.</summary>
    /// <param name="name">The metric name.</param>
    /// <param name="loss">The compiled loss.</param>
    /// <exception cref="ArgumentException">The name is not a known metric.</exception>
    public static Metric Get(string name, Loss loss) => name switch
    {
        "accuracy" or "acc" => loss is CategoricalCrossentropy ? new CategoricalAccuracy(name) : new SparseCategoricalAccuracy(name),
        "sparse_categorical_accuracy" => new SparseCategoricalAccuracy(name),
        "categorical_accuracy" => new CategoricalAccuracy(name),
        _ => throw new ArgumentException(
            $"Unknown metric '{name}'; expected one of: accuracy, acc, sparse_categorical_accuracy, categorical_accuracy.", "metrics"),
    };

    public override string ToString() => Name;
}

/// <summary>Keras <c>sparse_categorical_accuracy</c>: the share of positions whose most probable class (the first, on ties) is the target index.</summary>
public sealed class SparseCategoricalAccuracy(string name = "sparse_categorical_accuracy") : Metric
{
    public override string Name => name;

    protected override Tensor PerPosition(Tensor yTrue, Tensor yPred) =>
        yPred.argmax(-1).eq(yTrue.to_type(ScalarType.Int64));
}

/// <summary>Keras <c>categorical_accuracy</c>: the share of positions whose most probable class is the target's most probable class.</summary>
public sealed class CategoricalAccuracy(string name = "categorical_accuracy") : Metric
{
    public override string Name => name;

    protected override Tensor PerPosition(Tensor yTrue, Tensor yPred) => yPred.argmax(-1).eq(yTrue.argmax(-1));
}
