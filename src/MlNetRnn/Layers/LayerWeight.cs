using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// One Keras weight of a layer (<c>kernel</c>, <c>recurrent_kernel</c>, <c>bias</c>, …), read and written in
/// Keras layout whatever layout the TorchSharp module keeps it in.
/// </summary>
public sealed class LayerWeight
{
    internal LayerWeight(string name, Tensor variable, bool transposed, bool trainable = true)
    {
        Name = name;
        Variable = variable;
        Transposed = transposed;
        Trainable = trainable;
    }

    /// <summary>The Keras name, e.g. <c>kernel</c>.</summary>
    public string Name { get; }

    /// <summary>Shape in Keras layout, e.g. (input, units) for a kernel.</summary>
    public long[] Shape => Transposed ? Variable.shape.Reverse().ToArray() : Variable.shape;

    /// <summary>Whether the optimizer updates it.</summary>
    public bool Trainable { get; }

    /// <summary>Number of scalar values.</summary>
    public long Count => Variable.numel();

    /// <summary>The live parameter that autograd and the optimizer see (possibly in the transposed, TorchSharp layout).</summary>
    internal Tensor Variable { get; }

    private bool Transposed { get; }

    /// <summary>A detached copy in Keras layout.</summary>
    public Tensor Read()
    {
        using var noGrad = no_grad();
        var value = Transposed ? Variable.t() : Variable;
        return value.detach().clone();
    }

    /// <summary>Overwrites the weight with a value given in Keras layout.</summary>
    /// <exception cref="ArgumentException">The value's shape is not <see cref="Shape"/>.</exception>
    public void Assign(Tensor value, string path)
    {
        if (!value.shape.SequenceEqual(Shape))
        {
            throw new ArgumentException(
                $"Weight '{path}' has shape {Training.Shapes.Format(Shape)}; received a value of shape {Training.Shapes.Format(value.shape)}.",
                nameof(value));
        }
        using var noGrad = no_grad();
        Variable.copy_(Transposed ? value.t() : value);
    }
}
