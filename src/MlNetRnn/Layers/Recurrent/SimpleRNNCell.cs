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

    // The state is the output, so right-padded rows need no packing: the kernel runs on the padded batch (a step never
    // depends on later steps, so the real steps are unchanged) and each row's state is its output at its last real
    // step. Packing made libtorch step through shrinking batch slices and gather and scatter the rows around it.
    internal override (Tensor Sequence, Tensor[] States) RunFused(Tensor inputs, Tensor? lengths)
    {
        var (sequence, final) = _rnn!.call(inputs);
        if (lengths is null)
        {
            return (sequence, [final[0]]);
        }
        // (lengths are ≥ 1 here: the layer handles empty rows.)
        var last = (lengths - 1).view(-1, 1, 1).expand(-1, 1, Units);
        return (sequence, [sequence.gather(1, last).squeeze(1)]);
    }
}
