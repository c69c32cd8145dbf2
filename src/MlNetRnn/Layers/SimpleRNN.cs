using MlNetRnn.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras <c>SimpleRNN</c>: a fully connected recurrent layer, h_t = activation(x_t·kernel + bias + h_{t−1}·recurrent_kernel), h_0 = 0.
/// Input (batch, time, features). Output (batch, units), or (batch, time, units) with <c>returnSequences</c>;
/// with <c>returnState</c> the final state (batch, units) follows as a second output.
/// </summary>
/// <remarks>
/// For <c>tanh</c> and <c>relu</c> the whole sequence runs in libtorch's fused RNN kernel; other activations
/// step through <see cref="Cell"/> one time step at a time. libtorch's RNN has two biases; the second is
/// held at zero and never trained, so the layer has exactly Keras's weights: kernel (input, units),
/// recurrent_kernel (units, units), bias (units). With a mask (from an <see cref="Embedding"/> with
/// <c>maskZero</c>), masked steps leave the state unchanged and output zero. When padding is only at the end
/// of each row (the usual case) the fused kernel still runs and <c>goBackwards</c> reverses each row within
/// its length; other masks step through the cell, and <c>goBackwards</c> reverses the whole row as Keras does.
/// </remarks>
public sealed class SimpleRNN : Layer
{
    private readonly Initializer _kernelInitializer;
    private readonly Initializer _recurrentInitializer;
    private readonly Initializer _biasInitializer;
    private RNN? _rnn;
    private LayerWeight[] _weights = [];
    private SimpleRNNCell? _cell;

    /// <param name="units">Size of the output and state. Must be positive.</param>
    /// <param name="activation">Non-linearity. Default <c>tanh</c>.</param>
    /// <param name="useBias">Whether to add a bias. Default true.</param>
    /// <param name="kernelInitializer">For kernel. Default <c>glorot_uniform</c>.</param>
    /// <param name="recurrentInitializer">For recurrent_kernel. Default <c>orthogonal</c>.</param>
    /// <param name="biasInitializer">For bias. Default <c>zeros</c>.</param>
    /// <param name="returnSequences">Return the output at every step rather than only the last. Default false.</param>
    /// <param name="returnState">Also return the final state. Default false.</param>
    /// <param name="goBackwards">Process the sequence in reverse (outputs come in the reversed order, as in Keras). Default false.</param>
    /// <param name="inputShape">Per-sample input shape (time, features); time may be −1. Default none.</param>
    /// <param name="name">Layer name. Default: given by the model (<c>simple_rnn</c>, <c>simple_rnn_1</c>, …).</param>
    public SimpleRNN(
        int units,
        string activation = "tanh",
        bool useBias = true,
        string kernelInitializer = "glorot_uniform",
        string recurrentInitializer = "orthogonal",
        string biasInitializer = "zeros",
        bool returnSequences = false,
        bool returnState = false,
        bool goBackwards = false,
        long[]? inputShape = null,
        string? name = null)
        : base(name, inputShape)
    {
        Units = Positive(units, nameof(units));
        Activation = Activation.Get(activation, nameof(activation));
        UseBias = useBias;
        _kernelInitializer = Initializer.Get(kernelInitializer, nameof(kernelInitializer));
        _recurrentInitializer = Initializer.Get(recurrentInitializer, nameof(recurrentInitializer));
        _biasInitializer = Initializer.Get(biasInitializer, nameof(biasInitializer));
        ReturnSequences = returnSequences;
        ReturnState = returnState;
        GoBackwards = goBackwards;
        if (inputShape is not null)
        {
            CheckInputShape(inputShape);
        }
    }

    public int Units { get; }
    public Activation Activation { get; }
    public bool UseBias { get; }
    public bool ReturnSequences { get; }
    public bool ReturnState { get; }
    public bool GoBackwards { get; }

    /// <summary>Whether the sequence runs in libtorch's fused kernel (tanh and relu) rather than step by step.</summary>
    public bool IsFused => Activation.Name is "tanh" or "relu";

    /// <summary>The one-step computation over this layer's weights.</summary>
    /// <exception cref="InvalidOperationException">The layer is not built yet.</exception>
    public SimpleRNNCell Cell => _cell ?? throw new InvalidOperationException($"Layer '{Name}' has not been built yet.");

    public override int OutputCount => ReturnState ? 2 : 1;

    protected override int? InputRank => 2;

    public override IReadOnlyList<LayerWeight> Weights => _weights;

    protected override IReadOnlyList<long[]> OutputShapes(long[] inputShape)
    {
        long[] output = ReturnSequences ? [inputShape[0], Units] : [Units];
        return ReturnState ? [output, [Units]] : [output];
    }

    protected override void CreateWeights(long[] inputShape, Generator? generator)
    {
        long features = inputShape[1];
        var nonLinearity = Activation.Name == "relu" ? nn.NonLinearities.ReLU : nn.NonLinearities.Tanh;
        _rnn = nn.RNN(features, Units, nonLinearity: nonLinearity, bias: UseBias, batchFirst: true);
        register_module("rnn", _rnn);
        var parameters = _rnn.named_parameters().ToDictionary(p => p.name, p => p.parameter);

        var inputWeight = parameters["weight_ih_l0"];
        var recurrentWeight = parameters["weight_hh_l0"];
        inputWeight.copy_(_kernelInitializer.Draw([features, Units], generator).t());
        recurrentWeight.copy_(_recurrentInitializer.Draw([Units, Units], generator).t());
        var weights = new List<LayerWeight>
        {
            new("kernel", inputWeight, transposed: true),
            new("recurrent_kernel", recurrentWeight, transposed: true),
        };
        Tensor? bias = null;
        if (UseBias)
        {
            bias = parameters["bias_ih_l0"];
            bias.copy_(_biasInitializer.Draw([Units], generator));
            weights.Add(new LayerWeight("bias", bias, transposed: false));
            // libtorch's second bias: Keras has one, so this one stays zero and out of training.
            var secondBias = parameters["bias_hh_l0"];
            secondBias.zero_();
            secondBias.requires_grad = false;
        }
        _weights = weights.ToArray();
        _cell = new SimpleRNNCell(Units, Activation, inputWeight, recurrentWeight, bias);
    }

    protected override IReadOnlyList<Tensor> Forward(Tensor inputs, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var (x, m) = (inputs, mask);
        var lengths = mask?.sum(1, type: ScalarType.Int64);
        bool rightPadded = mask is null || IsRightPadded(mask, lengths!);
        if (GoBackwards)
        {
            // Right padding stays at the end; any other mask is reversed with its sequence, as Keras does.
            (x, m) = rightPadded ? (Reverse(inputs, lengths), mask) : (inputs.flip(1), mask!.flip(1));
        }
        var (sequence, state) = IsFused && rightPadded ? RunFused(x, m, lengths) : RunStepwise(x, m);
        var output = ReturnSequences ? sequence : state;
        Tensor[] outputs = ReturnState ? [output, state] : [output];
        return outputs.Select(o => o.MoveToOuterDisposeScope()).ToArray();
    }

    public override Tensor? ComputeMask(Tensor inputs, Tensor? mask) => ReturnSequences ? mask : null;

    /// <summary>Runs the sequence one step at a time through <see cref="Cell"/> (any activation, any mask).
    /// Used for non-fused activations and masks with holes, and by tests to check the fused path.</summary>
    internal (Tensor Sequence, Tensor State) RunStepwise(Tensor x, Tensor? mask)
    {
        long batch = x.shape[0], time = x.shape[1];
        var state = zeros(batch, Units, dtype: x.dtype);
        var steps = new Tensor[time];
        for (long t = 0; t < time; t++)
        {
            var next = Cell.Step(x[.., (int)t], state);
            if (mask is null)
            {
                state = next;
                steps[t] = next;
            }
            else
            {
                // Masked steps keep the state and output zero (as Keras with return_sequences).
                var m = mask[.., (int)t].unsqueeze(1);
                state = where(m, next, state);
                steps[t] = where(m, next, zeros_like(next));
            }
        }
        return (stack(steps, 1), state);
    }

    // Right padding cannot change the real steps (they come first), so the kernel runs on the padded batch;
    // the state is then read at each row's last real step and padding outputs are zeroed. (Packing the
    // sequences instead gives the same numbers but costs more than it saves at these sizes.)
    private (Tensor Sequence, Tensor State) RunFused(Tensor x, Tensor? mask, Tensor? lengths)
    {
        var (sequence, finalState) = _rnn!.call(x);
        if (mask is null)
        {
            return (sequence, finalState[0]);
        }
        var last = (lengths! - 1).clamp_min(0).view(-1, 1, 1).expand(-1, 1, Units);
        var state = sequence.gather(1, last).squeeze(1).masked_fill(lengths!.eq(0).unsqueeze(1), 0);
        return (sequence.masked_fill(mask.logical_not().unsqueeze(2), 0), state);
    }

    // True when every row is real steps followed only by padding.
    private static bool IsRightPadded(Tensor mask, Tensor lengths) =>
        mask.eq(arange(mask.shape[1], dtype: ScalarType.Int64).unsqueeze(0) < lengths.unsqueeze(1)).all().item<bool>();

    // Reverses each sequence within its length; padding (at the end) stays at the end.
    private static Tensor Reverse(Tensor x, Tensor? lengths)
    {
        if (lengths is null)
        {
            return x.flip(1);
        }
        long time = x.shape[1];
        var t = arange(time, dtype: ScalarType.Int64).unsqueeze(0);
        var len = lengths.unsqueeze(1);
        var index = where(t < len, len - 1 - t, t);
        for (int d = 2; d < x.dim(); d++)
        {
            index = index.unsqueeze(-1);
        }
        return x.gather(1, index.expand_as(x));
    }
}
