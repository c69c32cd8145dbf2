using MlNetRnn.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras <c>GRUCell</c>. Gates in Keras order [z r h]. With x_g = x_t·kernel_g + input_bias_g,
/// z = σ(x_z + h_{t−1}·U_z + b_rz), r = σ(x_r + h_{t−1}·U_r + b_rr), and
/// h̃ = activation(x_h + r·(h_{t−1}·U_h + b_rh)) with <c>resetAfter</c> (Keras's default), or
/// h̃ = activation(x_h + (r·h_{t−1})·U_h) without; then h_t = z·h_{t−1} + (1 − z)·h̃.
/// Weights: kernel (features, 3·units), recurrent_kernel (units, 3·units), bias (2, 3·units) — input bias then
/// recurrent bias — with <c>resetAfter</c>, else (3·units). State: [h], (batch, units).
/// </summary>
/// <remarks>
/// The weights are kept in Keras layout and the cell always steps. libtorch's <c>nn.GRU</c> computes the
/// <c>resetAfter</c> equations, but it holds the two halves of Keras's one <c>bias</c> weight in two parameters,
/// and one Keras weight is one trainable tensor here.
/// </remarks>
public sealed class GRUCell : RecurrentCell
{
    private Parameter? _kernel;           // (features, 3·units)
    private Parameter? _recurrentKernel;  // (units, 3·units)
    private Parameter? _bias;             // (2, 3·units) or (3·units)

    internal GRUCell(int units, string activation, string recurrentActivation, bool useBias, string kernelInitializer,
        string recurrentInitializer, string biasInitializer, bool resetAfter)
        : base("gru_cell", units, activation, useBias, kernelInitializer, recurrentInitializer, biasInitializer)
    {
        RecurrentActivation = Activation.Get(recurrentActivation, nameof(recurrentActivation));
        ResetAfter = resetAfter;
    }

    /// <summary>The gates' non-linearity (Keras <c>recurrent_activation</c>).</summary>
    public Activation RecurrentActivation { get; }

    /// <summary>Whether the reset gate multiplies h·U_h + b after the product (true) or h before it (false).</summary>
    public bool ResetAfter { get; }

    public override int StateCount => 1;

    internal override int GateCount => 3;

    internal override bool HasFusedKernel => false;

    // With resetAfter: the input bias and the recurrent bias, one row each.
    private protected override long[] BiasShape => ResetAfter ? [2, GateWidth] : [GateWidth];

    internal override void Build(long features, Generator? generator)
    {
        var (kernel, recurrentKernel) = DrawKernels(features, generator);
        _kernel = new Parameter(kernel);
        _recurrentKernel = new Parameter(recurrentKernel);
        register_parameter("kernel", _kernel);
        register_parameter("recurrent_kernel", _recurrentKernel);
        if (UseBias)
        {
            _bias = new Parameter(DrawBias(generator));
            register_parameter("bias", _bias);
        }
        KeepWeights(_kernel, _recurrentKernel, _bias, transposed: false);
    }

    internal override (Tensor Output, Tensor[] States) Step(Tensor input, IReadOnlyList<Tensor> states, GateDropout? dropout)
    {
        var h = states[0];
        var x = GateProjection(input, _kernel!, dropout?.Input);
        if (_bias is not null)
        {
            x = x + (ResetAfter ? _bias[0] : _bias);
        }
        var xGates = x.chunk(3, 1);
        var recurrentKernels = _recurrentKernel!.chunk(3, 1);
        var recurrentBiases = _bias is not null && ResetAfter ? _bias[1].chunk(3) : null;
        // h as gate g's product sees it: with recurrent dropout each gate has its own mask; the update z·h uses h itself.
        Tensor HiddenFor(int gate) => dropout?.Recurrent is { } masks ? h * masks[gate] : h;
        Tensor Recurrent(int gate) =>
            recurrentBiases is null ? HiddenFor(gate).matmul(recurrentKernels[gate]) : HiddenFor(gate).matmul(recurrentKernels[gate]) + recurrentBiases[gate];

        var z = RecurrentActivation.Apply(xGates[0] + Recurrent(0));
        var r = RecurrentActivation.Apply(xGates[1] + Recurrent(1));
        var reset = ResetAfter ? r * Recurrent(2) : (r * HiddenFor(2)).matmul(recurrentKernels[2]);
        var candidate = Activation.Apply(xGates[2] + reset);
        var next = z * h + (Scalars.One - z) * candidate;
        return (next, [next]);
    }

    internal override bool HasSingleSequenceLoop => Activation.Name == "tanh" && RecurrentActivation.Name == "sigmoid";

    internal override (Tensor Sequence, Tensor[] States) RunSingleSequence(Tensor inputs)
    {
        var inputBias = _bias is null ? null : ResetAfter ? _bias[0] : _bias;
        var projected = SingleSequenceRecurrence.ProjectInputs(inputs, _kernel!, inputBias);
        var outputs = empty(inputs.shape[1], Units);
        SingleSequenceRecurrence.Gru(projected, _recurrentKernel!, _bias is not null && ResetAfter ? _bias[1] : null, outputs, ResetAfter);
        var sequence = outputs.unsqueeze(0);
        return (sequence, [sequence[.., -1]]);
    }

    internal override (Tensor Sequence, Tensor[] States) RunFused(Tensor inputs, Tensor? lengths) =>
        throw new InvalidOperationException("The GRU cell has no fused kernel; it steps.");
}
