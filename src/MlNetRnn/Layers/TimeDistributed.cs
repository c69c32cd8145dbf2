using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras <c>TimeDistributed</c>: applies the wrapped layer to every time step independently, with shared weights.
/// Input (batch, time, …); output (batch, time, …the wrapped layer's per-step output).
/// </summary>
public sealed class TimeDistributed : Layer
{
    /// <param name="layer">The layer applied at each step; must have one output.</param>
    /// <param name="inputShape">Per-sample input shape (time, …). Default none.</param>
    /// <param name="name">Layer name. Default: given by the model (<c>time_distributed</c>, …).</param>
    public TimeDistributed(Layer layer, long[]? inputShape = null, string? name = null) : base(name, inputShape)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer.OutputCount != 1)
        {
            throw new ArgumentException($"TimeDistributed needs a layer with one output; '{layer}' has {layer.OutputCount}.", nameof(layer));
        }
        Layer = layer;
        register_module("layer", layer);
    }

    /// <summary>The wrapped layer.</summary>
    public Layer Layer { get; }

    protected override int? InputRank => null;

    public override IReadOnlyList<LayerWeight> Weights => Layer.Weights;

    protected override void CheckInputShape(long[] inputShape)
    {
        base.CheckInputShape(inputShape);
        if (inputShape.Length < 2)
        {
            throw new ArgumentException(
                $"Layer '{Name ?? BaseName}' (TimeDistributed) expects input of rank 3 or more (batch, time, …); received shape {Training.Shapes.FormatBatched(inputShape)}.",
                nameof(inputShape));
        }
    }

    protected override IReadOnlyList<long[]> OutputShapes(long[] inputShape) =>
        [[inputShape[0], .. Layer.ComputeOutputShapes(inputShape[1..])[0]]];

    protected override void CreateWeights(long[] inputShape, Generator? generator)
    {
        Layer.Name ??= Layer.BaseName;
        Layer.Build(inputShape[1..], generator);
    }

    protected override IReadOnlyList<Tensor> Forward(Tensor inputs, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        long batch = inputs.shape[0], time = inputs.shape[1];
        var steps = inputs.reshape([batch * time, .. inputs.shape[2..]]);
        var output = Layer.Call(steps)[0];
        return [output.reshape([batch, time, .. output.shape[1..]]).MoveToOuterDisposeScope()];
    }
}
