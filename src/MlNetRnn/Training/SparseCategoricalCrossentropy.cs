using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>
/// Keras <c>sparse_categorical_crossentropy</c> on probabilities (<c>from_logits=False</c>): clip the
/// predicted probabilities to [ε, 1 − ε] with ε = 1e-7, take −log of the true class, average over every
/// position (batch × time), leaving out masked positions.
/// </summary>
public sealed class SparseCategoricalCrossentropy : Loss
{
    /// <summary>Keras's backend epsilon.</summary>
    public const double Epsilon = 1e-7;

    // Rooted for the process (see Scalars): the clip runs every step.
    internal static readonly Scalar ClipLow = Epsilon.ToScalar(), ClipHigh = (1 - Epsilon).ToScalar();

    public override string Name => "sparse_categorical_crossentropy";

    /// <param name="yTrue">Class indices, shape (batch) or (batch, time), integer.</param>
    /// <param name="yPred">Probabilities, shape (batch, classes) or (batch, time, classes).</param>
    protected override Tensor PerPosition(Tensor yTrue, Tensor yPred)
    {
        // Clipping is element-wise, so picking the true class first and clipping only it gives the same values and
        // gradients (the other classes never receive any) with a class-count times smaller clamp and log.
        var classes = yTrue.dtype == ScalarType.Int64 ? yTrue : yTrue.to_type(ScalarType.Int64);
        var picked = yPred.gather(-1, classes.unsqueeze(-1)).squeeze(-1);
        return -picked.clamp(ClipLow, ClipHigh).log();
    }

    public override void ValidateTargets(Tensor yTrue, long[] outputShape, string parameterName)
    {
        var expected = outputShape[..^1];
        if (!yTrue.shape.SequenceEqual(expected))
        {
            throw new ArgumentException(
                $"Targets for sparse_categorical_crossentropy must have shape {Shapes.Format(expected)} (the model output " +
                $"{Shapes.Format(outputShape)} without its class axis); received {Shapes.Format(yTrue.shape)}.", parameterName);
        }
        if (yTrue.is_floating_point() && !yTrue.eq(yTrue.round()).all().item<bool>())
        {
            throw new ArgumentException("Targets for sparse_categorical_crossentropy must be whole class indices; received fractions.", parameterName);
        }
        if (yTrue.numel() > 0)
        {
            long min = yTrue.min().to_type(ScalarType.Int64).item<long>();
            long max = yTrue.max().to_type(ScalarType.Int64).item<long>();
            long classes = outputShape[^1];
            if (min < 0 || max >= classes)
            {
                throw new ArgumentException(
                    $"Targets must be class indices in [0, {classes - 1}] for a model with {classes} classes; received values in [{min}, {max}].",
                    parameterName);
            }
        }
    }
}
