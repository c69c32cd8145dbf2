using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// One step of the Elman recurrence: h_t = activation(x_t·kernel + bias + h_{t−1}·recurrent_kernel).
/// The cell holds no weights of its own: it reads its <see cref="SimpleRNN"/>'s, so that the stepwise and
/// the fused (libtorch) computation always agree.
/// </summary>
public sealed class SimpleRNNCell
{
    private readonly Tensor _inputWeight;      // (units, input): kernel transposed
    private readonly Tensor _recurrentWeight;  // (units, units): recurrent_kernel transposed
    private readonly Tensor? _bias;            // (units)

    internal SimpleRNNCell(int units, Activation activation, Tensor inputWeight, Tensor recurrentWeight, Tensor? bias)
    {
        Units = units;
        Activation = activation;
        _inputWeight = inputWeight;
        _recurrentWeight = recurrentWeight;
        _bias = bias;
    }

    /// <summary>Size of the state.</summary>
    public int Units { get; }

    /// <summary>The non-linearity.</summary>
    public Activation Activation { get; }

    /// <summary>One step.</summary>
    /// <param name="input">x_t, shape (batch, input).</param>
    /// <param name="state">h_{t−1}, shape (batch, units).</param>
    /// <returns>h_t, shape (batch, units): both the step's output and the next state.</returns>
    public Tensor Step(Tensor input, Tensor state) =>
        Activation.Apply(nn.functional.linear(input, _inputWeight, _bias) + state.matmul(_recurrentWeight.t()));
}
