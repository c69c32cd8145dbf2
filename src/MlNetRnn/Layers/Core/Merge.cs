using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras's <c>Merge</c> base: a layer without weights that combines a list of inputs into one output
/// (<see cref="Concatenate"/>). Apply it to several symbolic tensors: <c>new Concatenate().Apply(a, b)</c>.
/// </summary>
public abstract class Merge : Layer
{
    /// <param name="name">Layer name. Default: given by the model.</param>
    protected Merge(string? name) : base(name, null)
    {
    }

    protected override int? InputRank => null;

    public override IReadOnlyList<LayerWeight> Weights => [];

    /// <summary>Output shapes for input shapes already checked by <see cref="CheckInputShapes"/>.</summary>
    protected abstract override IReadOnlyList<long[]> OutputShapes(IReadOnlyList<long[]> inputShapes);

    /// <summary>The merge of batches whose shapes have been checked, with one mask (or null) per input.</summary>
    protected abstract override IReadOnlyList<Tensor> Forward(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?> masks);

    /// <summary>The output mask from every input and its mask (null entries for unmasked inputs).</summary>
    public abstract override Tensor? ComputeMask(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?> masks);

    /// <summary>Checks that there is at least one input and that each shape is valid; subclasses add their own rules.</summary>
    protected override void CheckInputShapes(IReadOnlyList<long[]> inputShapes)
    {
        if (inputShapes.Count == 0)
        {
            throw new ArgumentException($"A {TypeName} layer should be called on a list of at least 1 input; received none.", nameof(inputShapes));
        }
        foreach (var shape in inputShapes)
        {
            CheckInputShape(shape);
        }
    }

    // A merge of one input is the list [input].
    protected sealed override IReadOnlyList<long[]> OutputShapes(long[] inputShape) => OutputShapes([inputShape]);

    protected sealed override IReadOnlyList<Tensor> Forward(Tensor inputs, Tensor? mask) => Forward([inputs], [mask]);

    public sealed override Tensor? ComputeMask(Tensor inputs, Tensor? mask) => ComputeMask([inputs], [mask]);

    protected sealed override IReadOnlyList<(string Name, long[] Shape)> DeclaredWeights(long[] inputShape) => [];

    protected sealed override IReadOnlyList<(string Name, long[] Shape)> DeclaredWeights(IReadOnlyList<long[]> inputShapes) => [];

    protected sealed override void CreateWeights(long[] inputShape, Generator? generator)
    {
    }

    protected sealed override void CreateWeights(IReadOnlyList<long[]> inputShapes, Generator? generator)
    {
    }
}
