using System.Text.Json.Nodes;
using MlNetRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras <c>TimeDistributed</c>: applies the wrapped layer to every time step independently, with shared weights.
/// Input (batch, time, …); the wrapped layer sees (batch·time, …); output (batch, time, …its per-step output).
/// Any single-output layer can be wrapped, a recurrent or pooling one included: over (batch, time, chars, features)
/// a wrapped <see cref="Conv1D"/>, <see cref="GlobalMaxPooling1D"/> or recurrent layer encodes each word from its
/// characters.
/// </summary>
/// <remarks>
/// Masks: a mask with an inner axis, (batch, time, chars), reaches the wrapped layer as (batch·time, chars). The
/// output mask is the wrapped layer's output mask reshaped back to (batch, time, …); when the wrapped layer gives
/// none (it drops the inner axis, as pooling does), a step is real when any of its inner elements is, e.g. a word
/// with at least one character. A (batch, time) mask is not given to the wrapped layer (it has no per-step axis)
/// and passes through as the output mask, combined with the wrapped layer's own mask when it makes one.
/// </remarks>
public sealed class TimeDistributed : Layer
{
    /// <param name="layer">The layer applied at each step; must have one output.</param>
    /// <param name="inputShape">Per-sample input shape (time, …). Default none.</param>
    /// <param name="name">Layer name. Default: given by the model (<c>time_distributed</c>, …).</param>
    /// <exception cref="ArgumentException">The layer has several outputs.</exception>
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

    /// <summary>Rebuilds the wrapper from <see cref="GetConfig"/>'s object.</summary>
    /// <param name="config">The config, whose <c>layer</c> key holds the wrapped layer's <c>{class_name, config}</c>.</param>
    /// <param name="layerFromJson">Turns a <c>{class_name, config}</c> object into a layer (e.g. <see cref="LayerRegistry.FromJson"/>).</param>
    /// <exception cref="InvalidDataException">A key is missing or has the wrong type, or the wrapped layer's class is unknown.</exception>
    public static TimeDistributed FromConfig(LayerConfig config, Func<JsonObject, Layer> layerFromJson)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(layerFromJson);
        return new TimeDistributed(layerFromJson(config.Object("layer")), config.InputShape, config.Name);
    }

    public override JsonObject GetConfig()
    {
        var config = base.GetConfig();
        config["layer"] = LayerRegistry.ToJson(Layer);
        return config;
    }

    protected override int? InputRank => null;

    public override IReadOnlyList<LayerWeight> Weights => Layer.Weights;

    internal override void SetRandomSource(Generator? generator)
    {
        base.SetRandomSource(generator);
        Layer.SetRandomSource(generator);
    }

    protected override void CheckInputShape(long[] inputShape)
    {
        base.CheckInputShape(inputShape);
        if (inputShape.Length < 2)
        {
            throw new ArgumentException(
                $"Layer '{Name ?? BaseName}' (TimeDistributed) expects input of rank 3 or more (batch, time, …); received shape {Shapes.FormatBatched(inputShape)}.",
                nameof(inputShape));
        }
    }

    protected override IReadOnlyList<long[]> OutputShapes(long[] inputShape) =>
        [[inputShape[0], .. Layer.ComputeOutputShapes(inputShape[1..])[0]]];

    protected override IReadOnlyList<(string Name, long[] Shape)> DeclaredWeights(long[] inputShape) =>
        Layer.WeightShapes([inputShape[1..]]);

    protected override void CreateWeights(long[] inputShape, Generator? generator)
    {
        Layer.Name ??= Layer.BaseName;
        Layer.Build(inputShape[1..], generator);
    }

    protected override IReadOnlyList<Tensor> Forward(Tensor inputs, Tensor? mask)
    {
        if (Layer is Dense dense)
        {
            // A Dense reads only the last axis and ignores masks, and the wrapper's Call has checked the shape: applied to
            // (batch, time, …, features) directly, it computes what the folded call does (matmul folds the leading axes
            // into the same mm), without the two reshapes, which cost more than the product at batch 1.
            return [dense.ApplyToLastAxis(inputs)];
        }
        using var scope = NewDisposeScope();
        var output = Layer.Call(Fold(inputs), InnerMask(mask))[0];
        return [Unfold(output, inputs).MoveToOuterDisposeScope()];
    }

    public override Tensor? ComputeMask(Tensor inputs, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var innerMask = InnerMask(mask);
        var innerOutputMask = Layer.ComputeMask(Fold(inputs), innerMask);
        Tensor? result;
        if (innerOutputMask is not null)
        {
            result = Unfold(innerOutputMask, inputs);
            if (mask is not null && innerMask is null)
            {
                // A (batch, time) mask the wrapped layer never saw still marks padding steps.
                result = result.logical_and(mask.reshape([.. mask.shape, .. Enumerable.Repeat(1L, (int)result.dim() - 2)]));
            }
        }
        else if (innerMask is not null)
        {
            // The wrapped layer dropped the inner axis: a step is real when any of its elements is.
            result = mask!.flatten(2).any(-1);
        }
        else
        {
            result = mask?.alias();
        }
        return result?.MoveToOuterDisposeScope();
    }

    // (batch, time, …) → (batch·time, …).
    private static Tensor Fold(Tensor t) => t.reshape([t.shape[0] * t.shape[1], .. t.shape[2..]]);

    // (batch·time, …) → (batch, time, …), taking batch and time from the wrapper's input.
    private static Tensor Unfold(Tensor t, Tensor inputs) => t.reshape([inputs.shape[0], inputs.shape[1], .. t.shape[1..]]);

    // Only a mask with an inner axis has something to say to the wrapped layer.
    private static Tensor? InnerMask(Tensor? mask) => mask is not null && mask.dim() > 2 ? Fold(mask) : null;
}
