using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// One Keras weight of a layer (<c>kernel</c>, <c>recurrent_kernel</c>, <c>bias</c>, …), read and written in
/// Keras layout whatever layout the TorchSharp module keeps it in.
/// </summary>
public sealed class LayerWeight
{
    internal LayerWeight(string name, Tensor variable, bool transposed, bool trainable = true)
        : this(name, variable, transposed ? Transpose : Identity, transposed ? Transpose : Identity, trainable)
    {
    }

    /// <param name="name">The Keras name.</param>
    /// <param name="variable">The live parameter, in whatever layout the TorchSharp module keeps it.</param>
    /// <param name="toKeras">Turns the variable's layout into Keras's (e.g. a transpose, a permutation, a gate reordering).</param>
    /// <param name="fromKeras">The inverse of <paramref name="toKeras"/>.</param>
    /// <param name="trainable">Whether the optimizer updates it.</param>
    internal LayerWeight(string name, Tensor variable, Func<Tensor, Tensor> toKeras, Func<Tensor, Tensor> fromKeras, bool trainable = true)
    {
        Name = name;
        Variable = variable;
        _toKeras = toKeras;
        _fromKeras = fromKeras;
        Trainable = trainable;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Shape = toKeras(variable.detach()).shape;
    }

    private LayerWeight(string name, LayerWeight weight)
    {
        Name = name;
        Variable = weight.Variable;
        _toKeras = weight._toKeras;
        _fromKeras = weight._fromKeras;
        Trainable = weight.Trainable;
        Shape = weight.Shape;
    }

    /// <summary>The same weight under another name, e.g. a wrapped layer's <c>forward_lstm/kernel</c>.</summary>
    internal LayerWeight Renamed(string name) => new(name, this);

    /// <summary>The Keras name, e.g. <c>kernel</c>.</summary>
    public string Name { get; }

    /// <summary>Shape in Keras layout, e.g. (input, units) for a kernel.</summary>
    public long[] Shape { get; }

    /// <summary>Whether the optimizer updates it.</summary>
    public bool Trainable { get; }

    /// <summary>Number of scalar values.</summary>
    public long Count => Variable.numel();

    /// <summary>The live parameter that autograd and the optimizer see (possibly in the transposed, TorchSharp layout).</summary>
    internal Tensor Variable { get; }

    private readonly Func<Tensor, Tensor> _toKeras;
    private readonly Func<Tensor, Tensor> _fromKeras;

    /// <summary>A detached copy in Keras layout.</summary>
    public Tensor Read()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return _toKeras(Variable.detach()).clone().MoveToOuterDisposeScope();
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
        using var scope = NewDisposeScope();
        Variable.copy_(_fromKeras(value));
    }

    private static Tensor Identity(Tensor t) => t.alias();

    private static Tensor Transpose(Tensor t) => t.t();
}
