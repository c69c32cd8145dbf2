using MlNetRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras <c>SimpleRNNCell</c>: one step of the Elman recurrence, h_t = activation(x_t·kernel + bias + h_{t−1}·recurrent_kernel).
/// Weights: kernel (features, units), recurrent_kernel (units, units), bias (units). They live in a libtorch
/// <c>nn.RNN</c> (transposed), so that the fused kernel and the step compute with the same tensors.
/// </summary>
public sealed class SimpleRNNCell : RecurrentCell
{
    private TorchSharp.Modules.RNN? _rnn;
    private Tensor? _inputWeight;      // (units, features): kernel transposed
    private Tensor? _recurrentWeight;  // (units, units): recurrent_kernel transposed
    private Tensor? _bias;             // (units)

    internal SimpleRNNCell(int units, string activation, bool useBias, string kernelInitializer, string recurrentInitializer, string biasInitializer)
        : base("simple_rnn_cell", units, activation, useBias, kernelInitializer, recurrentInitializer, biasInitializer)
    {
    }

    public override int StateCount => 1;

    internal override int GateCount => 1;

    // libtorch's RNN kernel offers tanh and relu.
    internal override bool HasFusedKernel => Activation.Name is "tanh" or "relu";

    /// <summary>One step.</summary>
    /// <param name="input">x_t, shape (batch, features).</param>
    /// <param name="state">h_{t−1}, shape (batch, units).</param>
    /// <returns>h_t, shape (batch, units): both the step's output and the next state.</returns>
    /// <exception cref="InvalidOperationException">The layer is not built yet.</exception>
    public Tensor Step(Tensor input, Tensor state) => Step(input, [state]).Output;

    internal override void Build(long features, Generator? generator)
    {
        var nonLinearity = Activation.Name == "relu" ? nn.NonLinearities.ReLU : nn.NonLinearities.Tanh;
        _rnn = nn.RNN(features, Units, nonLinearity: nonLinearity, bias: UseBias, batchFirst: true);
        register_module("rnn", _rnn);
        (_inputWeight, _recurrentWeight, _bias) = AdoptWeights(_rnn, features, generator);
    }

    internal override (Tensor Output, Tensor[] States) Step(Tensor input, IReadOnlyList<Tensor> states, GateDropout? dropout)
    {
        var z = GateProjection(input, _inputWeight!.t(), dropout?.Input) + GateProjection(states[0], _recurrentWeight!.t(), dropout?.Recurrent);
        if (_bias is not null)
        {
            z = z + _bias;
        }
        var h = Activation.Apply(z);
        return (h, [h]);
    }

    internal override bool HasSingleSequenceLoop => HasFusedKernel;

    internal override (Tensor Sequence, Tensor[] States) RunSingleSequence(Tensor inputs)
    {
        var projected = SingleSequenceRecurrence.ProjectInputs(inputs, _inputWeight!.t(), _bias);
        SingleSequenceRecurrence.Elman(projected, _recurrentWeight!, relu: Activation.Name == "relu");
        var sequence = projected.unsqueeze(0);
        return (sequence, [sequence[.., -1]]);
    }

    internal override (Tensor Sequence, Tensor[] States) RunFused(Tensor inputs, Tensor? lengths)
    {
        if (lengths is null)
        {
            var (sequence, final) = _rnn!.call(inputs);
            return (sequence, [final[0]]);
        }
        using var packed = Pack(inputs, lengths);
        var (output, state) = _rnn!.call(packed);
        using (output)
        {
            return (Unpack(output, inputs.shape[1]), [state[0]]);
        }
    }
}
