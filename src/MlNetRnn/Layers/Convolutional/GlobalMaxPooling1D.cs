using System.Text.Json.Nodes;
using MlNetRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras <c>GlobalMaxPooling1D</c> (channels last): the largest value of each feature over the steps.
/// Input (batch, steps, features); output (batch, features), or (batch, 1, features) with <c>keepDims</c>.
/// </summary>
/// <remarks>
/// With a mask (batch, steps), masked steps never win the max; a row with no real step gives 0 (not −∞). The
/// output has no mask. Under <see cref="TimeDistributed"/> over (batch, words, chars, features) this turns each
/// word's characters into one vector, and padding characters are ignored.
/// </remarks>
public sealed class GlobalMaxPooling1D : Layer
{
    /// <param name="keepDims">Keep the steps axis with size 1. Default false.</param>
    /// <param name="name">Layer name. Default: given by the model (<c>global_max_pooling1d</c>, …).</param>
    public GlobalMaxPooling1D(bool keepDims = false, string? name = null) : base(name, null)
    {
        KeepDims = keepDims;
    }

    /// <summary>Whether the output keeps the steps axis (size 1).</summary>
    public bool KeepDims { get; }

    /// <summary>Rebuilds the layer from <see cref="GetConfig"/>'s object (Keras keys).</summary>
    /// <exception cref="InvalidDataException">A key has the wrong type, or data_format is not channels_last.</exception>
    public static GlobalMaxPooling1D FromConfig(LayerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var dataFormat = config.String("data_format", "channels_last");
        if (dataFormat != "channels_last")
        {
            throw new InvalidDataException($"The GlobalMaxPooling1D config's 'data_format' must be channels_last; received {dataFormat}.");
        }
        return new GlobalMaxPooling1D(config.Bool("keepdims", false), config.Name);
    }

    public override JsonObject GetConfig()
    {
        var config = base.GetConfig();
        config["data_format"] = "channels_last";
        config["keepdims"] = KeepDims;
        return config;
    }

    protected override int? InputRank => 2;

    public override IReadOnlyList<LayerWeight> Weights => [];

    protected override IReadOnlyList<long[]> OutputShapes(long[] inputShape) =>
        [KeepDims ? [1, inputShape[1]] : [inputShape[1]]];

    protected override IReadOnlyList<(string Name, long[] Shape)> DeclaredWeights(long[] inputShape) => [];

    protected override void CreateWeights(long[] inputShape, Generator? generator)
    {
    }

    protected override IReadOnlyList<Tensor> Forward(Tensor inputs, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        Tensor pooled;
        if (mask is null)
        {
            pooled = inputs.amax([1], keepdim: KeepDims);
        }
        else
        {
            var real = mask.to_type(ScalarType.Bool).unsqueeze(-1);
            var maxed = inputs.masked_fill(real.logical_not(), Scalars.NegativeInfinity).amax([1], keepdim: KeepDims);
            var anyReal = real.any(1, keepdim: KeepDims);
            pooled = where(anyReal, maxed, zeros_like(maxed));
        }
        return [pooled.MoveToOuterDisposeScope()];
    }

    /// <summary>None: pooling removes the steps axis the mask was about.</summary>
    public override Tensor? ComputeMask(Tensor inputs, Tensor? mask) => null;
}
