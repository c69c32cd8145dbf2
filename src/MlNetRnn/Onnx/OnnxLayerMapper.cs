using MlNetRnn.Layers;
using MlNetRnn.Onnx.Proto;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Onnx;

/// <summary>
/// Turns one layer call into ONNX nodes, with the layer's weights as float32 initializers and the Keras mask as an
/// explicit boolean value (e.g. <c>Not(Equal(ids, 0))</c> after an <see cref="Embedding"/> with maskZero). Each
/// layer's mask rule is the one its <c>ComputeMask</c> implements. Recurrent layers are in the partial file beside.
/// </summary>
internal sealed partial class OnnxLayerMapper(OnnxGraphBuilder graph)
{
    /// <summary>The layers this mapper knows, for error messages.</summary>
    public const string SupportedLayers =
        "Dense, Embedding, Dropout, Concatenate, Conv1D, GlobalMaxPooling1D, TimeDistributed, SimpleRNN, LSTM, GRU and Bidirectional";

    /// <summary>Maps a layer call.</summary>
    /// <param name="layer">The layer, built.</param>
    /// <param name="inputs">Its inputs (one, or several for <see cref="Concatenate"/>).</param>
    /// <returns>One value name per layer output, and the mask that follows output 0.</returns>
    /// <exception cref="NotSupportedException">The layer, or a setting of it, has no ONNX mapping.</exception>
    public (IReadOnlyList<string> Outputs, OnnxMask? Mask) Map(Layer layer, IReadOnlyList<OnnxValue> inputs)
    {
        string scope = layer.Name ?? layer.BaseName;
        return layer switch
        {
            Embedding embedding => MapEmbedding(embedding, scope, inputs[0]),
            Dense dense => MapDense(dense, scope, inputs[0]),
            Dropout => ([inputs[0].Name], inputs[0].Mask),
            Concatenate concatenate => MapConcatenate(concatenate, scope, inputs),
            Conv1D conv => MapConv1D(conv, scope, inputs[0]),
            GlobalMaxPooling1D pooling => MapGlobalMaxPooling(pooling, scope, inputs[0]),
            TimeDistributed wrapper => MapTimeDistributed(wrapper, scope, inputs[0]),
            RNN rnn => MapRecurrent(rnn, scope, inputs[0]),
            Bidirectional bidirectional => MapBidirectional(bidirectional, scope, inputs[0]),
            _ => throw new NotSupportedException(
                $"Layer '{scope}' ({layer.TypeName}) has no ONNX mapping; the exporter maps {SupportedLayers}."),
        };
    }

    private (IReadOnlyList<string>, OnnxMask?) MapEmbedding(Embedding layer, string scope, OnnxValue ids)
    {
        var table = WeightOf(layer, "embeddings", scope, w => w);
        var vectors = graph.Op(scope, "Gather", [table, ids.Name], OnnxAttribute.Int("axis", 0));
        var mask = layer.MaskZero
            ? new OnnxMask(graph.Op(scope, "Not", [graph.Op(scope, "Equal", [ids.Name, graph.Int64s([0], scalar: true)])]), ids.Rank)
            : ids.Mask;
        return ([vectors], mask);
    }

    private (IReadOnlyList<string>, OnnxMask?) MapDense(Dense layer, string scope, OnnxValue x)
    {
        var z = graph.Op(scope, "MatMul", [x.Name, WeightOf(layer, "kernel", scope, w => w)]);
        if (layer.UseBias)
        {
            z = graph.Op(scope, "Add", [z, WeightOf(layer, "bias", scope, w => w)]);
        }
        return ([Activate(layer.Activation, scope, z, layer)], x.Mask);
    }

    // Keras Concatenate: inputs joined on the axis; the mask is each input's mask (all true when absent) widened to
    // its input's shape, joined the same way and reduced over the last axis with OR.
    private (IReadOnlyList<string>, OnnxMask?) MapConcatenate(Concatenate layer, string scope, IReadOnlyList<OnnxValue> inputs)
    {
        int rank = inputs[0].Rank;
        long axis = layer.Axis < 0 ? layer.Axis + rank : layer.Axis;
        var joined = graph.Op(scope, "Concat", inputs.Select(i => i.Name).ToArray(), OnnxAttribute.Int("axis", axis));
        if (inputs.All(i => i.Mask is null))
        {
            return ([joined], null);
        }
        var widened = inputs.Select(input =>
        {
            var shape = graph.Op(scope, "Shape", [input.Name]);
            var mask = input.Mask switch
            {
                null => graph.Op(scope, "ConstantOfShape", [shape], OnnxAttribute.Tensor("value", OnnxTensor.Floats("", [1], [1f]))),
                { } m when m.Rank < input.Rank => graph.Op(scope, "Expand", [graph.Unsqueeze(scope, graph.Cast(scope, m.Name, OnnxDataType.Float), -1), shape]),
                { } m => graph.Cast(scope, m.Name, OnnxDataType.Float),
            };
            return mask;
        }).ToArray();
        var any = graph.Any(scope, graph.Op(scope, "Concat", widened, OnnxAttribute.Int("axis", axis)), -1);
        return ([joined], new OnnxMask(any, rank - 1));
    }

    // Conv1D (channels last): masked steps zeroed first (as the layer does), then Conv over (batch, channels, steps).
    private (IReadOnlyList<string>, OnnxMask?) MapConv1D(Conv1D layer, string scope, OnnxValue x)
    {
        var input = x.Name;
        if (x.Mask is { } mask)
        {
            input = graph.Op(scope, "Mul", [input, graph.Unsqueeze(scope, graph.Cast(scope, mask.Name, OnnxDataType.Float), -1)]);
        }
        var kernel = WeightOf(layer, "kernel", scope, w => w.permute(2, 1, 0));   // Keras (k, in, out) → ONNX (out, in, k)
        var inputs = new List<string> { graph.Transpose(scope, input, 0, 2, 1), kernel };
        if (layer.UseBias) inputs.Add(WeightOf(layer, "bias", scope, w => w));
        var attributes = new List<OnnxAttribute>
        {
            OnnxAttribute.Ints("kernel_shape", [layer.KernelSize]),
            OnnxAttribute.Ints("strides", [layer.Strides]),
            OnnxAttribute.Ints("dilations", [layer.DilationRate]),
        };
        long span = (long)layer.DilationRate * (layer.KernelSize - 1) + 1;
        long steps = x.Shape[0];
        if (layer.Padding == "same" && (layer.Strides == 1 || steps >= 0))
        {
            // TensorFlow's "same": total padding (out − 1)·strides + span − steps, the odd step on the right.
            long total = layer.Strides == 1
                ? span - 1
                : Math.Max(((steps + layer.Strides - 1) / layer.Strides - 1) * layer.Strides + span - steps, 0);
            attributes.Add(OnnxAttribute.Ints("pads", [total / 2, total - total / 2]));
        }
        else if (layer.Padding == "same")
        {
            // Steps known only at run time: SAME_UPPER is the same rule (extra padding at the end).
            attributes.Add(OnnxAttribute.String("auto_pad", "SAME_UPPER"));
        }
        var z = graph.Transpose(scope, graph.Op(scope, "Conv", inputs, attributes.ToArray()), 0, 2, 1);
        var outputMask = layer.Padding == "same" && layer.Strides == 1 ? x.Mask : null;
        return ([Activate(layer.Activation, scope, z, layer)], outputMask);
    }

    // Masked steps never win the max; a row with no real step gives 0. The output has no mask.
    private (IReadOnlyList<string>, OnnxMask?) MapGlobalMaxPooling(GlobalMaxPooling1D layer, string scope, OnnxValue x)
    {
        var keep = OnnxAttribute.Int("keepdims", layer.KeepDims ? 1 : 0);
        if (x.Mask is not { } mask)
        {
            return ([graph.Op(scope, "ReduceMax", [x.Name], OnnxAttribute.Ints("axes", [1]), keep)], null);
        }
        var real = graph.Unsqueeze(scope, mask.Name, -1);
        var filled = graph.Op(scope, "Where", [real, x.Name, graph.FloatScalar(float.NegativeInfinity)]);
        var maxed = graph.Op(scope, "ReduceMax", [filled], OnnxAttribute.Ints("axes", [1]), keep);
        var anyReal = graph.Cast(scope, graph.Op(scope, "ReduceMax", [graph.Cast(scope, real, OnnxDataType.Float)],
            OnnxAttribute.Ints("axes", [1]), keep), OnnxDataType.Bool);
        return ([graph.ZeroWhereFalse(scope, anyReal, maxed)], null);
    }

    // (batch, time, …) folded to (batch·time, …) for the wrapped layer and unfolded after; masks as TimeDistributed.ComputeMask.
    private (IReadOnlyList<string>, OnnxMask?) MapTimeDistributed(TimeDistributed layer, string scope, OnnxValue x)
    {
        var folded = Fold(scope, x.Name);
        OnnxMask? innerMask = x.Mask is { Rank: > 2 } m ? new OnnxMask(Fold(scope, m.Name), m.Rank - 1) : null;
        var (outputs, innerOutputMask) = Map(layer.Layer, [new OnnxValue(folded, x.Shape[1..], innerMask)]);
        var output = Unfold(scope, outputs[0], x.Name);
        OnnxMask? result;
        if (innerOutputMask is not null)
        {
            result = new OnnxMask(Unfold(scope, innerOutputMask.Name, x.Name), innerOutputMask.Rank + 1);
            if (x.Mask is { } outer && innerMask is null)
            {
                // A (batch, time) mask the wrapped layer never saw still marks padding steps.
                var widened = outer.Rank < result.Rank
                    ? graph.Unsqueeze(scope, outer.Name, Enumerable.Range(outer.Rank, result.Rank - outer.Rank).Select(a => (long)a).ToArray())
                    : outer.Name;
                result = result with { Name = graph.Op(scope, "And", [result.Name, widened]) };
            }
        }
        else if (innerMask is not null)
        {
            // The wrapped layer dropped the inner axis: a step is real when any of its elements is.
            result = new OnnxMask(graph.Any(scope, x.Mask!.Name, Enumerable.Range(2, x.Mask.Rank - 2).Select(a => (long)a).ToArray()), 2);
        }
        else
        {
            result = x.Mask;
        }
        return ([output], result);
    }

    // (batch, time, …) → (batch·time, …).
    private string Fold(string scope, string x) =>
        graph.Op(scope, "Reshape", [x, graph.Op(scope, "Concat", [graph.Int64s([-1]), graph.ShapeSlice(scope, x, 2)], OnnxAttribute.Int("axis", 0))]);

    // (batch·time, …) → (batch, time, …), batch and time taken from the wrapper's input.
    private string Unfold(string scope, string y, string wrapperInput) =>
        graph.Op(scope, "Reshape", [y, graph.Op(scope, "Concat",
            [graph.ShapeSlice(scope, wrapperInput, 0, 2), graph.ShapeSlice(scope, y, 1)], OnnxAttribute.Int("axis", 0))]);

    /// <summary>A Keras activation as ONNX operators (softmax on the last axis).</summary>
    /// <exception cref="NotSupportedException">An activation without a mapping (none today; kept for new ones).</exception>
    private string Activate(Activation activation, string scope, string z, Layer layer) => activation.Name switch
    {
        "linear" => z,
        "tanh" => graph.Op(scope, "Tanh", [z]),
        "relu" => graph.Op(scope, "Relu", [z]),
        "sigmoid" => graph.Op(scope, "Sigmoid", [z]),
        "softmax" => graph.Op(scope, "Softmax", [z], OnnxAttribute.Int("axis", -1)),
        "softplus" => graph.Op(scope, "Softplus", [z]),
        "softsign" => graph.Op(scope, "Softsign", [z]),
        "elu" => graph.Op(scope, "Elu", [z], OnnxAttribute.Float("alpha", 1f)),
        // ONNX's default alpha and gamma are Selu's constants in float32, as libtorch's.
        "selu" => graph.Op(scope, "Selu", [z]),
        "silu" or "swish" => graph.Op(scope, "Mul", [z, graph.Op(scope, "Sigmoid", [z])]),
        // libtorch's default gelu is the exact one: x·Φ(x) = x·(1 + erf(x/√2))/2. (Gelu itself arrives in opset 20.)
        "gelu" => graph.Op(scope, "Mul", [graph.FloatScalar(0.5f), graph.Op(scope, "Mul", [z,
            graph.Op(scope, "Add", [graph.FloatScalar(1f), graph.Op(scope, "Erf", [graph.Op(scope, "Div", [z, graph.FloatScalar(MathF.Sqrt(2f))])])])])]),
        "exponential" => graph.Op(scope, "Exp", [z]),
        // Keras 3: relu6(x + 3) / 6 = clip(x/6 + 1/2, 0, 1).
        "hard_sigmoid" => graph.Op(scope, "HardSigmoid", [z], OnnxAttribute.Float("alpha", 1f / 6), OnnxAttribute.Float("beta", 0.5f)),
        _ => throw new NotSupportedException(
            $"Layer '{scope}' ({layer.TypeName}) uses activation '{activation.Name}', which has no ONNX mapping."),
    };

    /// <summary>A Keras weight (read in Keras layout, then reshaped by <paramref name="toOnnx"/>) as a float32 initializer.</summary>
    private string WeightOf(Layer layer, string weightName, string scope, Func<Tensor, Tensor> toOnnx) =>
        WeightOf(layer.Weights, weightName, scope, toOnnx);

    private string WeightOf(IReadOnlyList<LayerWeight> weights, string weightName, string scope, Func<Tensor, Tensor> toOnnx)
    {
        var weight = weights.FirstOrDefault(w => w.Name == weightName)
            ?? throw new InvalidOperationException($"Layer '{scope}' has no weight '{weightName}'; it has {string.Join(", ", weights.Select(w => w.Name))}.");
        using var disposeScope = NewDisposeScope();
        var value = toOnnx(weight.Read()).to_type(ScalarType.Float32).contiguous();
        return graph.Weight($"{scope}/{weightName}", value.shape, value.data<float>().ToArray());
    }

    /// <summary>A computed float32 initializer (e.g. zeros for a bias a layer does not have).</summary>
    private string Constant(string name, Tensor value)
    {
        using var disposeScope = NewDisposeScope();
        var floats = value.to_type(ScalarType.Float32).contiguous();
        return graph.Weight(name, floats.shape, floats.data<float>().ToArray());
    }
}
