using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras <c>Bidirectional</c>: runs a recurrent layer forwards and a copy of it backwards over the same input, and
/// merges the two outputs. Input (batch, time, features). Output with <c>concat</c> (batch, 2·units) or, with
/// <c>returnSequences</c>, (batch, time, 2·units) (forward half first); <c>sum</c>, <c>mul</c>, <c>ave</c> keep
/// units; a null merge mode returns both outputs. With <c>returnState</c> the forward layer's final states follow,
/// then the backward layer's.
/// </summary>
/// <remarks>
/// With <c>returnSequences</c> the backward outputs are reversed back, so position t of both halves refers to input
/// t; with a right-padded mask the backward pass starts at each row's last real step, and both halves output zeros
/// at padding steps (Keras forces <c>zero_output_for_mask</c> there). The halves are two layers, named
/// <c>forward_&lt;name&gt;</c> and <c>backward_&lt;name&gt;</c>; weights: the forward layer's, then the backward layer's.
/// </remarks>
public sealed class Bidirectional : Layer
{
    // Rooted for the process (see Scalars): the "ave" merge runs every step.
    private static readonly Scalar Two = 2L.ToScalar();

    private LayerWeight[]? _weights;

    private static readonly string?[] MergeModes = ["concat", "sum", "mul", "ave", null];

    /// <param name="layer">The recurrent layer (<see cref="SimpleRNN"/>, <see cref="LSTM"/>, <see cref="GRU"/>); it
    /// becomes the forward half, renamed <c>forward_&lt;name&gt;</c>, and must not be built yet.</param>
    /// <param name="mergeMode"><c>concat</c>, <c>sum</c>, <c>mul</c>, <c>ave</c>, or null for both outputs. Default <c>concat</c>.</param>
    /// <param name="backwardLayer">The backward half. Default: a copy of <paramref name="layer"/> with <c>goBackwards</c>
    /// flipped, named <c>backward_&lt;name&gt;</c>. If given, its direction must differ from <paramref name="layer"/>'s and
    /// its <c>returnSequences</c> and <c>returnState</c> must match.</param>
    /// <param name="inputShape">Per-sample input shape (time, features). Default: <paramref name="layer"/>'s, if any.</param>
    /// <param name="name">Layer name. Default: given by the model (<c>bidirectional</c>, …).</param>
    /// <exception cref="ArgumentException">The layers or the merge mode are not accepted.</exception>
    public Bidirectional(Layer layer, string? mergeMode = "concat", Layer? backwardLayer = null, long[]? inputShape = null, string? name = null)
        : base(name, inputShape ?? layer?.InputShape)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!MergeModes.Contains(mergeMode))
        {
            throw new ArgumentException(
                $"Invalid merge mode. Received: '{mergeMode}'. Merge mode should be one of concat, sum, mul, ave, or null.", nameof(mergeMode));
        }
        var forward = Recurrent(layer, nameof(layer));
        var backward = backwardLayer is null
            ? forward.Recreate($"backward_{WithoutPrefix(forward.Name ?? forward.BaseName, "backward_")}", !forward.GoBackwards)
            : Recurrent(backwardLayer, nameof(backwardLayer));
        if (forward.GoBackwards == backward.GoBackwards)
        {
            throw new ArgumentException(
                $"Forward layer and backward layer should have different goBackwards values; received {forward.GoBackwards} for both.",
                nameof(backwardLayer));
        }
        if (forward.ReturnSequences != backward.ReturnSequences || forward.ReturnState != backward.ReturnState)
        {
            throw new ArgumentException(
                "Forward layer and backward layer must agree on returnSequences and returnState; received " +
                $"({forward.ReturnSequences}, {forward.ReturnState}) and ({backward.ReturnSequences}, {backward.ReturnState}).",
                nameof(backwardLayer));
        }
        forward.Name = $"forward_{WithoutPrefix(forward.Name ?? forward.BaseName, "forward_")}";
        backward.Name ??= backward.BaseName;
        forward.ZeroOutputForMask = backward.ZeroOutputForMask = forward.ReturnSequences;
        ForwardLayer = forward;
        BackwardLayer = backward;
        MergeMode = mergeMode;
        register_module("forward_layer", forward);
        register_module("backward_layer", backward);
        if (InputShape is not null)
        {
            CheckInputShape(InputShape);
        }
    }

    /// <summary>The half that reads the sequence in its own direction (usually forwards).</summary>
    public RNN ForwardLayer { get; }

    /// <summary>The half that reads it the other way.</summary>
    public RNN BackwardLayer { get; }

    /// <summary><c>concat</c>, <c>sum</c>, <c>mul</c>, <c>ave</c>, or null (both outputs returned).</summary>
    public string? MergeMode { get; }

    /// <summary>Whether the outputs are per step (the wrapped layer's <c>returnSequences</c>).</summary>
    public bool ReturnSequences => ForwardLayer.ReturnSequences;

    /// <summary>Whether both halves' final states follow the output(s).</summary>
    public bool ReturnState => ForwardLayer.ReturnState;

    public override int OutputCount => (MergeMode is null ? 2 : 1) + (ReturnState ? 2 * ForwardLayer.Cell.StateCount : 0);

    protected override int? InputRank => 2;

    /// <summary>The forward layer's weights, then the backward layer's, named after their half as Keras's paths are
    /// (<c>forward_lstm/kernel</c>, …), so that every weight path in a model is unique.</summary>
    public override IReadOnlyList<LayerWeight> Weights => Built
        ? _weights ??= [.. Prefixed(ForwardLayer), .. Prefixed(BackwardLayer)]
        : [];

    private static IEnumerable<LayerWeight> Prefixed(Layer half) => half.Weights.Select(w => w.Renamed($"{half.Name}/{w.Name}"));

    protected override IReadOnlyList<(string Name, long[] Shape)> DeclaredWeights(long[] inputShape) =>
        [.. PrefixedShapes(ForwardLayer, inputShape), .. PrefixedShapes(BackwardLayer, inputShape)];

    private static IEnumerable<(string Name, long[] Shape)> PrefixedShapes(Layer half, long[] inputShape) =>
        half.WeightShapes([inputShape]).Select(w => ($"{half.Name}/{w.Name}", w.Shape));

    internal override void SetRandomSource(Generator? generator)
    {
        base.SetRandomSource(generator);
        ForwardLayer.SetRandomSource(generator);
        BackwardLayer.SetRandomSource(generator);
    }

    public override Tensor? ComputeMask(Tensor inputs, Tensor? mask) => ReturnSequences ? mask : null;

    public override JsonObject GetConfig()
    {
        var config = base.GetConfig();
        config["merge_mode"] = MergeMode;
        config["layer"] = Serialize(ForwardLayer);
        config["backward_layer"] = Serialize(BackwardLayer);
        return config;
    }

    /// <summary>Keras <c>from_config</c>: a new, unbuilt layer from <see cref="GetConfig"/>'s object.</summary>
    /// <param name="config">The config; <c>layer</c> and <c>backward_layer</c> hold <c>{"class_name", "config"}</c> objects.</param>
    /// <param name="layerFromJson">Turns a <c>{"class_name", "config"}</c> object into a layer.</param>
    /// <exception cref="InvalidDataException">A key is missing or holds a value of the wrong type.</exception>
    public static Bidirectional FromConfig(LayerConfig config, Func<JsonObject, Layer> layerFromJson)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(layerFromJson);
        var layer = layerFromJson(config.Object("layer"));
        var backward = config.Json["backward_layer"] is null ? null : layerFromJson(config.Object("backward_layer"));
        // merge_mode null is Keras's None (both outputs); only a missing key means the default.
        var mergeMode = config.Json.ContainsKey("merge_mode") ? config.String("merge_mode", null) : "concat";
        return new Bidirectional(layer, mergeMode, backward, config.InputShape, config.Name);
    }

    protected override IReadOnlyList<long[]> OutputShapes(long[] inputShape)
    {
        var shapes = ForwardLayer.ComputeOutputShapes(inputShape);
        var output = shapes[0];
        long[][] merged = MergeMode switch
        {
            null => [output, output],
            "concat" => [[.. output[..^1], 2 * output[^1]]],
            _ => [output],
        };
        return [.. merged, .. shapes.Skip(1), .. shapes.Skip(1)];
    }

    protected override void CreateWeights(long[] inputShape, Generator? generator)
    {
        ForwardLayer.Build(inputShape, generator);
        BackwardLayer.Build(inputShape, generator);
    }

    protected override IReadOnlyList<Tensor> Forward(Tensor inputs, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var forward = ForwardLayer.Call(inputs, mask);
        var backward = BackwardLayer.Call(inputs, mask);
        var y = forward[0];
        var yReversed = ReturnSequences ? backward[0].flip(1) : backward[0];
        Tensor[] merged = MergeMode switch
        {
            "concat" => [cat([y, yReversed], -1)],
            "sum" => [y + yReversed],
            "mul" => [y * yReversed],
            "ave" => [(y + yReversed) / Two],
            _ => [y, yReversed],
        };
        Tensor[] outputs = [.. merged, .. forward.Skip(1), .. backward.Skip(1)];
        return RNN.MoveOut(outputs);
    }

    private static RNN Recurrent(Layer layer, string argumentName)
    {
        if (layer is not RNN rnn)
        {
            throw new ArgumentException(
                $"Bidirectional wraps a recurrent layer (SimpleRNN, LSTM or GRU); received '{layer}'.", argumentName);
        }
        if (rnn.Built)
        {
            throw new ArgumentException($"Bidirectional needs an unbuilt layer; '{layer}' already has weights.", argumentName);
        }
        return rnn;
    }

    private static JsonObject Serialize(Layer layer) => new() { ["class_name"] = layer.TypeName, ["config"] = layer.GetConfig() };

    private static string WithoutPrefix(string name, string prefix) => name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;
}
