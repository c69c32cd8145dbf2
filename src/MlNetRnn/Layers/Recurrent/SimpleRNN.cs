using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras <c>SimpleRNN</c>: a fully connected recurrent layer, h_t = activation(x_t·kernel + bias + h_{t−1}·recurrent_kernel), h_0 = 0.
/// Input (batch, time, features). Output (batch, units), or (batch, time, units) with <c>returnSequences</c>;
/// with <c>returnState</c> the final state (batch, units) follows as a second output.
/// </summary>
/// <remarks>
/// Weights: kernel (features, units), recurrent_kernel (units, units), bias (units). For <c>tanh</c> and <c>relu</c>
/// the sequence runs in libtorch's fused RNN kernel (its second bias held at zero and out of training); other
/// activations step through <see cref="Cell"/>. Masks, direction and dropout: see <see cref="RNN"/>.
/// </remarks>
public sealed class SimpleRNN : RNN
{
    /// <param name="units">Size of the output and state. Must be positive.</param>
    /// <param name="activation">Non-linearity. Default <c>tanh</c>.</param>
    /// <param name="useBias">Whether to add a bias. Default true.</param>
    /// <param name="kernelInitializer">For kernel. Default <c>glorot_uniform</c>.</param>
    /// <param name="recurrentInitializer">For recurrent_kernel. Default <c>orthogonal</c>.</param>
    /// <param name="biasInitializer">For bias. Default <c>zeros</c>.</param>
    /// <param name="dropout">Fraction of input features dropped in training, in [0, 1). Default 0.</param>
    /// <param name="recurrentDropout">Fraction of state units dropped in training, in [0, 1). Default 0.</param>
    /// <param name="returnSequences">Return the output at every step rather than only the last. Default false.</param>
    /// <param name="returnState">Also return the final state. Default false.</param>
    /// <param name="goBackwards">Process the sequence in reverse (outputs come in the reversed order, as in Keras). Default false.</param>
    /// <param name="inputShape">Per-sample input shape (time, features); time may be −1. Default none.</param>
    /// <param name="name">Layer name. Default: given by the model (<c>simple_rnn</c>, <c>simple_rnn_1</c>, …).</param>
    /// <exception cref="ArgumentException">A size, rate or name is invalid.</exception>
    public SimpleRNN(
        int units,
        string activation = "tanh",
        bool useBias = true,
        string kernelInitializer = "glorot_uniform",
        string recurrentInitializer = "orthogonal",
        string biasInitializer = "zeros",
        double dropout = 0,
        double recurrentDropout = 0,
        bool returnSequences = false,
        bool returnState = false,
        bool goBackwards = false,
        long[]? inputShape = null,
        string? name = null)
        : base(new SimpleRNNCell(Positive(units, nameof(units)), activation, useBias, kernelInitializer, recurrentInitializer, biasInitializer),
            dropout, recurrentDropout, returnSequences, returnState, goBackwards, inputShape, name)
    {
    }

    /// <summary>The one-step computation over this layer's weights.</summary>
    public new SimpleRNNCell Cell => (SimpleRNNCell)base.Cell;

    /// <summary>Keras <c>from_config</c>: a new, unbuilt layer from <see cref="Layer.GetConfig"/>'s object.</summary>
    /// <exception cref="InvalidDataException">A key holds a value of the wrong type, or <c>units</c> is missing.</exception>
    public static SimpleRNN FromConfig(LayerConfig config)
    {
        var c = CommonConfig.Read(config);
        return new SimpleRNN(c.Units, c.Activation, c.UseBias, c.KernelInitializer, c.RecurrentInitializer, c.BiasInitializer,
            c.Dropout, c.RecurrentDropout, c.ReturnSequences, c.ReturnState, c.GoBackwards, c.InputShape, c.Name);
    }

    private protected override RNN Recreate(LayerConfig config) => FromConfig(config);

    /// <summary>Steps forwards through the cell without dropout (for benchmarks that time the loop).</summary>
    /// <param name="x">(batch, time, features).</param>
    /// <param name="mask">(batch, time) or null.</param>
    /// <returns>Every step's output (batch, time, units) and the final state (batch, units).</returns>
    internal (Tensor Sequence, Tensor State) RunStepwise(Tensor x, Tensor? mask)
    {
        var (sequence, states) = RunSteps(x, mask);
        return (sequence, states[0]);
    }
}
