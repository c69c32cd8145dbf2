using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>
/// Keras <c>categorical_crossentropy</c> on probabilities (<c>from_logits=False</c>) with one-hot (or soft) targets:
/// clip the predicted probabilities to [ε, 1 − ε] with ε = 1e-7 as <see cref="SparseCategoricalCrossentropy"/> does,
/// then −Σ y·log p over the class axis, averaged over every position, leaving out masked positions.
/// </summary>
public sealed class CategoricalCrossentropy : Loss
{
    public override string Name => "categorical_crossentropy";

    /// <param name="yTrue">Class distributions (usually one-hot), shaped like <paramref name="yPred"/>.</param>
    /// <param name="yPred">Probabilities, shape (batch, classes) or (batch, time, classes).</param>
    protected override Tensor PerPosition(Tensor yTrue, Tensor yPred)
    {
        var logProbabilities = yPred.clamp(SparseCategoricalCrossentropy.ClipLow, SparseCategoricalCrossentropy.ClipHigh).log();
        return -(yTrue.to_type(yPred.dtype) * logProbabilities).sum(-1);
    }

    public override void ValidateTargets(Tensor yTrue, long[] outputShape, string parameterName)
    {
        if (!yTrue.shape.SequenceEqual(outputShape))
        {
            throw new ArgumentException(
                $"Targets for categorical_crossentropy must be one-hot with the model output's shape {Shapes.Format(outputShape)}; " +
                $"received {Shapes.Format(yTrue.shape)}. For class indices use sparse_categorical_crossentropy.", parameterName);
        }
    }
}
