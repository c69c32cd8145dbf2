using MlNetRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras <c>LSTMCell</c>. Gates in Keras order [i f c o]: with z = x_t·kernel + h_{t−1}·recurrent_kernel + bias,
/// i = σ(z_i), f = σ(z_f), c_t = f·c_{t−1} + i·activation(z_c), o = σ(z_o), h_t = o·activation(c_t)
/// (σ is <see cref="RecurrentActivation"/>). Weights: kernel (features, 4·units), recurrent_kernel (units, 4·units),
/// bias (4·units). State: [h, c], each (batch, units); the output is h.
/// </summary>
/// <remarks>The weights live in a libtorch <c>nn.LSTM</c>, whose gate order (i f g o) is Keras's; they are only
/// transposed. libtorch's second bias is held at zero and out of training.</remarks>
public sealed class LSTMCell : RecurrentCell
{
    private TorchSharp.Modules.LSTM? _lstm;
    private Tensor? _inputWeight;      // (4·units, features): kernel transposed
    private Tensor? _recurrentWeight;  // (4·units, units): recurrent_kernel transposed
    private Tensor? _bias;             // (4·units)

    internal LSTMCell(int units, string activation, string recurrentActivation, bool useBias, string kernelInitializer,
        string recurrentInitializer, string biasInitializer, bool unitForgetBias)
        : base("lstm_cell", units, activation, useBias, kernelInitializer, recurrentInitializer, biasInitializer)
    {
        RecurrentActivation = Activation.Get(recurrentActivation, nameof(recurrentActivation));
        UnitForgetBias = unitForgetBias;
    }

    /// <summary>The gates' non-linearity (Keras <c>recurrent_activation</c>).</summary>
    public Activation RecurrentActivation { get; }

    /// <summary>Whether the forget gate's bias starts at one (the rest from the bias initializer).</summary>
    public bool UnitForgetBias { get; }

    public override int StateCount => 2;

    internal override int GateCount => 4;

    internal override bool HasFusedKernel => Activation.Name == "tanh" && RecurrentActivation.Name == "sigmoid";

    internal override void Build(long features, Generator? generator)
    {
        _lstm = nn.LSTM(features, Units, bias: UseBias, batchFirst: true);
        register_module("lstm", _lstm);
        (_inputWeight, _recurrentWeight, _bias) = AdoptWeights(_lstm, features, generator);
    }

    // With unitForgetBias the forget gate's block starts at one, the other blocks from the initializer (as Keras).
    private protected override Tensor DrawBias(Generator? generator) => UnitForgetBias
        ? cat([BiasInitializer.Draw([Units], generator), ones(Units), BiasInitializer.Draw([2L * Units], generator)])
        : base.DrawBias(generator);

    internal override (Tensor Output, Tensor[] States) Step(Tensor input, IReadOnlyList<Tensor> states, GateDropout? dropout)
    {
        var (h, c) = (states[0], states[1]);
        var z = GateProjection(input, _inputWeight!.t(), dropout?.Input) + GateProjection(h, _recurrentWeight!.t(), dropout?.Recurrent);
        if (_bias is not null)
        {
            z = z + _bias;
        }
        var gates = z.chunk(4, 1);
        var i = RecurrentActivation.Apply(gates[0]);
        var f = RecurrentActivation.Apply(gates[1]);
        var carry = f * c + i * Activation.Apply(gates[2]);
        var o = RecurrentActivation.Apply(gates[3]);
        var next = o * Activation.Apply(carry);
        return (next, [next, carry]);
    }

    internal override bool HasSingleSequenceLoop => HasFusedKernel;

    internal override (Tensor Sequence, Tensor[] States) RunSingleSequence(Tensor inputs)
    {
        var projected = SingleSequenceRecurrence.ProjectInputs(inputs, _inputWeight!.t(), _bias);
        var outputs = empty(inputs.shape[1], Units);
        var carry = zeros(1, Units);
        SingleSequenceRecurrence.Lstm(projected, _recurrentWeight!, outputs, carry);
        var sequence = outputs.unsqueeze(0);
        return (sequence, [sequence[.., -1], carry]);
    }

    internal override (Tensor Sequence, Tensor[] States) RunFused(Tensor inputs, Tensor? lengths)
    {
        if (lengths is null)
        {
            var (sequence, h, c) = _lstm!.call(inputs);
            return (sequence, [h[0], c[0]]);
        }
        using var packed = Pack(inputs, lengths);
        var (output, hn, cn) = _lstm!.call(packed);
        using (output)
        {
            return (Unpack(output, inputs.shape[1]), [hn[0], cn[0]]);
        }
    }
}
