using MlNetRnn.Training;

namespace MlNetRnn.Models;

/// <summary>The entry point of a functional model (Keras <c>keras.Input</c>): a symbolic batch of the given per-sample shape.</summary>
/// <remarks>The batch given for it at run time may be floating (it takes the weights' dtype) or integer ids, which
/// stay integer (for an <see cref="Layers.Embedding"/>).</remarks>
public sealed class Input : SymbolicTensor
{
    /// <param name="shape">Per-sample shape, without the batch axis; −1 for a size known only at run time (e.g. time).</param>
    /// <param name="name">Name shown in the summary. Default: given by the model (<c>input_layer</c>, <c>input_layer_1</c>, …).</param>
    /// <exception cref="ArgumentException">The shape is empty or has a size of 0 or below −1.</exception>
    public Input(long[] shape, string? name = null) : base(Validate(shape), null, 0)
    {
        GivenName = name;
        Name = name ?? DefaultName;
    }

    /// <summary>The name Keras gives an unnamed input.</summary>
    internal const string DefaultName = "input_layer";

    /// <summary>Name shown in the summary.</summary>
    public string Name { get; internal set; }

    /// <summary>The name given at construction, if any; models rename only inputs without one.</summary>
    internal string? GivenName { get; }

    private static long[] Validate(long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 0 || shape.Any(d => d == 0 || d < -1))
        {
            throw new ArgumentException($"An Input needs a per-sample shape of positive sizes (−1 for unknown); received {Shapes.Format(shape)}.", nameof(shape));
        }
        return shape.ToArray();
    }
}
