using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>A training objective. A name converts implicitly, so <c>Compile(loss: "sparse_categorical_crossentropy", …)</c> works.</summary>
public abstract class Loss
{
    /// <summary>The Keras name.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// The loss over a batch: with no mask and no weights the mean over every position; otherwise
    /// Σ loss·weight·mask / Σ mask (Keras's <c>sum_over_batch_size</c> with its mask normalisation), so an
    /// all-padding batch gives zero rather than NaN.
    /// </summary>
    /// <param name="yTrue">Targets.</param>
    /// <param name="yPred">Model output.</param>
    /// <param name="mask">Optional boolean mask, one value per loss position (e.g. (batch, time)): <c>false</c> positions (padding) do not count.</param>
    /// <param name="sampleWeight">Optional weights, (batch) or one per loss position. A boolean tensor acts as a mask.</param>
    /// <returns>A scalar tensor.</returns>
    public Tensor Compute(Tensor yTrue, Tensor yPred, Tensor? mask = null, Tensor? sampleWeight = null)
    {
        using var scope = NewDisposeScope();
        var losses = PerPosition(yTrue, yPred);
        if (sampleWeight is { dtype: ScalarType.Bool })
        {
            mask = mask is null ? sampleWeight : mask.logical_and(sampleWeight);
            sampleWeight = null;
        }
        if (sampleWeight is not null)
        {
            losses = losses * Broadcast(sampleWeight.to_type(losses.dtype), losses);
        }
        if (mask is null)
        {
            return losses.mean().MoveToOuterDisposeScope();
        }
        var weights = mask.to_type(losses.dtype);
        return ((losses * weights).sum() / weights.sum().clamp_min(Scalars.One)).MoveToOuterDisposeScope();
    }

    /// <summary>The loss at each position, shaped like the targets without their class axis, e.g. (batch, time).</summary>
    protected abstract Tensor PerPosition(Tensor yTrue, Tensor yPred);

    /// <summary>Checks that targets fit the model output before any training starts.</summary>
    /// <exception cref="ArgumentException">The targets do not fit.</exception>
    public abstract void ValidateTargets(Tensor yTrue, long[] outputShape, string parameterName);

    /// <summary>Resolves a Keras loss name.</summary>
    /// <exception cref="ArgumentException">The name is not a known loss.</exception>
    public static Loss Get(string name) => name switch
    {
        "sparse_categorical_crossentropy" => new SparseCategoricalCrossentropy(),
        "categorical_crossentropy" => new CategoricalCrossentropy(),
        _ => throw new ArgumentException(
            $"Unknown loss '{name}'; expected one of: sparse_categorical_crossentropy, categorical_crossentropy.", "loss"),
    };

    public static implicit operator Loss(string name) => Get(name);

    public override string ToString() => Name;

    /// <summary>Weights of shape (batch) or (batch, time) given trailing axes so they multiply values of higher rank.</summary>
    internal static Tensor Broadcast(Tensor weights, Tensor values)
    {
        var w = weights;
        while (w.dim() < values.dim()) w = w.unsqueeze(-1);
        return w;
    }
}
