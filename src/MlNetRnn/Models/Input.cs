using MlNetRnn.Training;

namespace MlNetRnn.Models;

/// <summary>The entry point of a functional model (Keras <c>keras.Input</c>): a symbolic batch of the given per-sample shape.</summary>
public sealed class Input : SymbolicTensor
{
    /// <param name="shape">Per-sample shape, without the batch axis; −1 for a size known only at run time (e.g. time).</param>
    /// <param name="name">Name shown in the summary. Default <c>input_layer</c>.</param>
    public Input(long[] shape, string? name = null) : base(Validate(shape), null, 0)
    {
        Name = name ?? "input_layer";
    }

    /// <summary>Name shown in the summary.</summary>
    public string Name { get; }

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
