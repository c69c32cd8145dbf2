using MlNetRnn.Layers;
using MlNetRnn.Training;

namespace MlNetRnn.Models;

/// <summary>
/// A placeholder for a tensor in a functional model graph (Keras's <c>KerasTensor</c>): it knows its
/// per-sample shape and which layer produced it, but holds no data.
/// </summary>
public class SymbolicTensor
{
    internal SymbolicTensor(long[] shape, Node? producer, int outputIndex)
    {
        Shape = shape;
        Producer = producer;
        OutputIndex = outputIndex;
    }

    /// <summary>Per-sample shape; −1 is a size known only at run time.</summary>
    public long[] Shape { get; }

    /// <summary>The layer call that produced it; null for an <see cref="Input"/>.</summary>
    internal Node? Producer { get; }

    /// <summary>Which of the producing layer's outputs this is.</summary>
    internal int OutputIndex { get; }

    public override string ToString() => $"<SymbolicTensor shape={Shapes.FormatBatched(Shape)}>";

    internal static IReadOnlyList<SymbolicTensor> Produce(Layer layer, IReadOnlyList<SymbolicTensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Any(i => i is null))
        {
            throw new ArgumentNullException(nameof(inputs), $"Layer '{layer}' was applied to a null symbolic tensor.");
        }
        var shapes = layer.ComputeOutputShapes(inputs.Select(i => i.Shape).ToArray());
        var node = new Node(layer, inputs.ToArray());
        node.Outputs = shapes.Select((shape, i) => new SymbolicTensor(shape, node, i)).ToArray();
        return node.Outputs;
    }

    /// <summary>One application of a layer to its symbolic inputs (one, or several for a merge), and what it produced.</summary>
    internal sealed class Node(Layer layer, IReadOnlyList<SymbolicTensor> inputs)
    {
        public Layer Layer { get; } = layer;
        public IReadOnlyList<SymbolicTensor> Inputs { get; } = inputs;
        public IReadOnlyList<SymbolicTensor> Outputs { get; set; } = [];
    }
}
