using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>A training objective. A name converts implicitly, so <c>Compile(loss: "sparse_categorical_crossentropy", …)</c> works.</summary>
public abstract class Loss
{
    /// <summary>The Keras name.</summary>
    public abstract string Name { get; }

    /// <summary>The mean loss over all unmasked positions, as a scalar tensor.</summary>
    /// <param name="yTrue">Targets.</param>
    /// <param name="yPred">Model output.</param>
    /// <param name="mask">Optional boolean mask shaped like the targets: <c>false</c> positions (padding) do not count.</param>
    public abstract Tensor Compute(Tensor yTrue, Tensor yPred, Tensor? mask = null);

    /// <summary>Checks that targets fit the model output before any training starts.</summary>
    /// <exception cref="ArgumentException">The targets do not fit.</exception>
    public abstract void ValidateTargets(Tensor yTrue, long[] outputShape, string parameterName);

    /// <summary>Resolves a Keras loss name.</summary>
    /// <exception cref="ArgumentException">The name is not a known loss.</exception>
    public static Loss Get(string name) => name switch
    {
        "sparse_categorical_crossentropy" => new SparseCategoricalCrossentropy(),
        _ => throw new ArgumentException(
            $"Unknown loss '{name}'; expected one of: sparse_categorical_crossentropy.", "loss"),
    };

    public static implicit operator Loss(string name) => Get(name);

    public override string ToString() => Name;
}
