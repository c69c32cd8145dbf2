using MlNetRnn.Layers;
using MlNetRnn.Onnx.Proto;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Onnx;

/// <summary>
/// SimpleRNN, LSTM, GRU and Bidirectional as ONNX's RNN, LSTM and GRU operators (time-major, <c>layout = 0</c>).
/// </summary>
/// <remarks>
/// <para>Weights: Keras kernel (in, gates·units) → W (directions, gates·units, in), recurrent_kernel → R likewise,
/// B = [Wb, Rb] (directions, 2·gates·units). LSTM gates go from Keras's [i f c o] to ONNX's [i o f c]; GRU keeps
/// [z r h], with <c>linear_before_reset = 1</c> and Rb = Keras's recurrent bias for <c>resetAfter</c>, and Rb = 0
/// otherwise. SimpleRNN and LSTM have one Keras bias: Rb = 0.</para>
/// <para>Masks: right padding. <c>sequence_lens</c> = ReduceSum(Cast(mask)), clamped to at least 1 (a row with no
/// real step, such as a padding word's characters, runs one step and is then zeroed, as the layer does). Outputs at
/// padding steps follow the layer: zeros, or the last real output for a forward layer that repeats it.</para>
/// <para>ONNX's <c>reverse</c> direction returns outputs at their input positions; a Keras layer with goBackwards
/// returns them in processing order, so its sequence is the reverse direction's, flipped on the time axis.</para>
/// </remarks>
internal sealed partial class OnnxLayerMapper
{
    private readonly Dictionary<string, SequenceLengths> _lengths = new(StringComparer.Ordinal);

    /// <summary>One recurrent half after the operator ran: its outputs at their input positions (batch, time, units),
    /// when the layer returns sequences, and its final states, each (batch, units).</summary>
    private sealed record HalfRun(string? Aligned, IReadOnlyList<string> States);

    /// <summary>What a (batch, time) mask gives the recurrent operators, computed once per mask.</summary>
    private sealed record SequenceLengths(string Lengths, string NonEmptyRows, string StepMask);

    private (IReadOnlyList<string>, OnnxMask?) MapRecurrent(RNN layer, string scope, OnnxValue x)
    {
        var run = Run(scope, [layer], x)[0];
        var output = !layer.ReturnSequences ? run.States[0]
            : layer.GoBackwards ? graph.Flip(scope, run.Aligned!, 1)
            : run.Aligned!;
        IReadOnlyList<string> outputs = layer.ReturnState ? [output, .. run.States] : [output];
        return (outputs, layer.ReturnSequences ? x.Mask : null);
    }

    private (IReadOnlyList<string>, OnnxMask?) MapBidirectional(Bidirectional layer, string scope, OnnxValue x)
    {
        var runs = Run(scope, [layer.ForwardLayer, layer.BackwardLayer], x);
        string y, yReversed;
        if (layer.ReturnSequences)
        {
            // Bidirectional flips the backward half's output back to input positions: the aligned outputs themselves.
            y = layer.ForwardLayer.GoBackwards ? graph.Flip(scope, runs[0].Aligned!, 1) : runs[0].Aligned!;
            yReversed = layer.BackwardLayer.GoBackwards ? runs[1].Aligned! : graph.Flip(scope, runs[1].Aligned!, 1);
        }
        else
        {
            (y, yReversed) = (runs[0].States[0], runs[1].States[0]);
        }
        string[] merged = layer.MergeMode switch
        {
            "concat" => [graph.Op(scope, "Concat", [y, yReversed], OnnxAttribute.Int("axis", -1))],
            "sum" => [graph.Op(scope, "Add", [y, yReversed])],
            "mul" => [graph.Op(scope, "Mul", [y, yReversed])],
            "ave" => [graph.Op(scope, "Div", [graph.Op(scope, "Add", [y, yReversed]), graph.FloatScalar(2f)])],
            _ => [y, yReversed],
        };
        IReadOnlyList<string> outputs = layer.ReturnState ? [.. merged, .. runs[0].States, .. runs[1].States] : merged;
        return (outputs, layer.ReturnSequences ? x.Mask : null);
    }

    // Runs one or two recurrent halves over x: one bidirectional operator when the halves agree on type and size and
    // read in opposite directions, otherwise one operator per half.
    private IReadOnlyList<HalfRun> Run(string scope, IReadOnlyList<RNN> halves, OnnxValue x)
    {
        if (x.Mask is { Rank: not 2 } mask)
        {
            throw new NotSupportedException(
                $"Layer '{scope}' receives a mask of rank {mask.Rank}; recurrent layers are exported with (batch, time) masks only.");
        }
        var lengths = x.Mask is null ? null : LengthsOf(x.Mask);
        var timeMajor = graph.Transpose(scope, x.Name, 1, 0, 2);
        var runs = new HalfRun[halves.Count];
        bool together = halves.Count == 2 && halves[0].GoBackwards != halves[1].GoBackwards &&
            halves[0].TypeName == halves[1].TypeName && halves[0].Units == halves[1].Units &&
            (halves[0] is not GRU g0 || g0.ResetAfter == ((GRU)halves[1]).ResetAfter);
        if (together)
        {
            // ONNX's bidirectional operator runs the forward direction first.
            int forward = halves[0].GoBackwards ? 1 : 0;
            var results = RunOperator(scope, [halves[forward], halves[1 - forward]], timeMajor, lengths);
            runs[forward] = results[0];
            runs[1 - forward] = results[1];
        }
        else
        {
            for (int i = 0; i < halves.Count; i++)
            {
                runs[i] = RunOperator(scope, [halves[i]], timeMajor, lengths)[0];
            }
        }
        return runs;
    }

    // One RNN/LSTM/GRU operator over one direction, or over two ([forward, reverse]) with direction "bidirectional".
    private IReadOnlyList<HalfRun> RunOperator(string scope, IReadOnlyList<RNN> directions, string timeMajor, SequenceLengths? lengths)
    {
        var first = directions[0];
        string opType = first switch { LSTM => "LSTM", GRU => "GRU", _ => "RNN" };
        string direction = directions.Count == 2 ? "bidirectional" : first.GoBackwards ? "reverse" : "forward";
        bool sequences = first.ReturnSequences;
        bool cellState = first is LSTM && first.ReturnState;
        var (w, r, b) = StackedWeights(scope, directions);
        var attributes = new List<OnnxAttribute>
        {
            OnnxAttribute.Int("hidden_size", first.Units),
            OnnxAttribute.String("direction", direction),
            OnnxAttribute.Strings("activations", directions.SelectMany(d => ActivationsOf(d, scope))),
        };
        if (first is GRU gru)
        {
            attributes.Add(OnnxAttribute.Int("linear_before_reset", gru.ResetAfter ? 1 : 0));
        }
        string?[] wanted = opType == "LSTM" ? [sequences ? null : "", null, cellState ? null : ""] : [sequences ? null : "", null];
        var outputs = graph.OpWithOutputs(scope, opType, [timeMajor, w, r, b, lengths?.Lengths ?? ""], wanted, "", attributes.ToArray());

        var runs = new HalfRun[directions.Count];
        for (int d = 0; d < directions.Count; d++)
        {
            var half = directions[d];
            var states = new List<string> { FinalState(scope, outputs[1], d, lengths) };
            if (cellState) states.Add(FinalState(scope, outputs[2], d, lengths));
            string? aligned = null;
            if (sequences)
            {
                // Y is (time, directions, batch, units).
                aligned = graph.Transpose(scope, graph.Take(scope, outputs[0], d, 1), 1, 0, 2);
                if (lengths is not null)
                {
                    // A forward layer repeats its last real output over the padding unless it zeroes it (inside a
                    // Bidirectional); a backward layer's padding comes before its first real step: zeros.
                    var filler = !half.GoBackwards && !half.ZeroOutputForMask ? graph.Unsqueeze(scope, states[0], 1) : graph.FloatScalar(0);
                    aligned = graph.Op(scope, "Where", [lengths.StepMask, aligned, filler]);
                }
            }
            runs[d] = new HalfRun(aligned, states);
        }
        return runs;
    }

    // Y_h or Y_c (directions, batch, units) → direction d's (batch, units), zero for rows with no real step.
    private string FinalState(string scope, string stacked, int direction, SequenceLengths? lengths)
    {
        var state = graph.Take(scope, stacked, direction, 0);
        return lengths is null ? state : graph.ZeroWhereFalse(scope, lengths.NonEmptyRows, state);
    }

    private SequenceLengths LengthsOf(OnnxMask mask)
    {
        if (_lengths.TryGetValue(mask.Name, out var known)) return known;
        string scope = $"{mask.Name}/lengths";
        var counts = graph.Op(scope, "ReduceSum", [graph.Cast(scope, mask.Name, OnnxDataType.Int32), graph.Int64s([1])],
            OnnxAttribute.Int("keepdims", 0));
        var lengths = new SequenceLengths(
            graph.Op(scope, "Max", [counts, graph.Int32Scalar(1)]),
            graph.Unsqueeze(scope, graph.Op(scope, "Greater", [counts, graph.Int32Scalar(0)]), 1),
            graph.Unsqueeze(scope, mask.Name, 2));
        _lengths[mask.Name] = lengths;
        return lengths;
    }

    // W (directions, gates·units, in), R (directions, gates·units, units), B (directions, 2·gates·units).
    private (string W, string R, string B) StackedWeights(string scope, IReadOnlyList<RNN> directions)
    {
        using var disposeScope = NewDisposeScope();
        var perDirection = directions.Select(OnnxWeights).ToArray();
        return (Constant($"{scope}/W", stack(perDirection.Select(p => p.W).ToArray())),
                Constant($"{scope}/R", stack(perDirection.Select(p => p.R).ToArray())),
                Constant($"{scope}/B", stack(perDirection.Select(p => p.B).ToArray())));
    }

    private static (Tensor W, Tensor R, Tensor B) OnnxWeights(RNN layer)
    {
        var weights = layer.Weights.ToDictionary(w => w.Name, w => w.Read());
        int gates = layer switch { LSTM => 4, GRU => 3, _ => 1 };
        // Keras LSTM [i f c o] → ONNX [i o f c]; GRU [z r h] and SimpleRNN keep their order.
        long[] order = layer is LSTM ? [0, 3, 1, 2] : Enumerable.Range(0, gates).Select(g => (long)g).ToArray();
        Tensor Reorder(Tensor gateBlocks) => cat(order.Select(g => gateBlocks.chunk(gates, 0)[g]).ToArray(), 0);

        var w = Reorder(weights["kernel"].t());
        var r = Reorder(weights["recurrent_kernel"].t());
        long size = (long)gates * layer.Units;
        Tensor inputBias, recurrentBias;
        if (!weights.TryGetValue("bias", out var bias))
        {
            (inputBias, recurrentBias) = (zeros(size), zeros(size));
        }
        else if (layer is GRU { ResetAfter: true })
        {
            (inputBias, recurrentBias) = (bias[0], bias[1]);
        }
        else
        {
            (inputBias, recurrentBias) = (Reorder(bias), zeros(size));
        }
        return (w, r, cat([inputBias.to_type(w.dtype), recurrentBias.to_type(w.dtype)], 0));
    }

    // ONNX activation names per direction: RNN [f], LSTM [f (gates), g (candidate), h (output)], GRU [f (gates), g].
    private static IEnumerable<string> ActivationsOf(RNN layer, string scope)
    {
        var activation = OnnxRecurrentActivation(layer.Activation, layer, scope, "activation");
        return layer switch
        {
            LSTM lstm => [OnnxRecurrentActivation(lstm.RecurrentActivation, layer, scope, "recurrentActivation"), activation, activation],
            GRU gru => [OnnxRecurrentActivation(gru.RecurrentActivation, layer, scope, "recurrentActivation"), activation],
            _ => [activation],
        };
    }

    // The recurrent operators take named functions; those with parameters (alpha, beta) are left out on purpose.
    private static string OnnxRecurrentActivation(Activation activation, RNN layer, string scope, string role) => activation.Name switch
    {
        "tanh" => "Tanh",
        "sigmoid" => "Sigmoid",
        "relu" => "Relu",
        "softsign" => "Softsign",
        "softplus" => "Softplus",
        _ => throw new NotSupportedException(
            $"Layer '{scope}' ({layer.TypeName}) has {role} '{activation.Name}'; ONNX's recurrent operators are exported with tanh, sigmoid, relu, softsign or softplus."),
    };
}
