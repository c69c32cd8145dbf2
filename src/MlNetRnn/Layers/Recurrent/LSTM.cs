using System.Text.Json.Nodes;
using MlNetRnn.Training;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras <c>LSTM</c>: long short-term memory (equations in <see cref="LSTMCell"/>). Input (batch, time, features).
/// Output (batch, units), or (batch, time, units) with <c>returnSequences</c>; with <c>returnState</c> the final
/// h and c follow: [output, h, c], each state (batch, units).
/// </summary>
/// <remarks>
/// Weights: kernel (features, 4·units), recurrent_kernel (units, 4·units), bias (4·units), gates [i f c o].
/// With <c>tanh</c> and <c>sigmoid</c> (the defaults) the sequence runs in libtorch's fused LSTM kernel; other
/// activations step through <see cref="Cell"/>. Masks, direction and dropout: see <see cref="RNN"/>.
/// </remarks>
public sealed class LSTM : RNN
{
    /// <param name="units">Size of the output and of h and c. Must be positive.</param>
    /// <param name="activation">For the candidate and the output. Default <c>tanh</c>.</param>
    /// <param name="recurrentActivation">For the gates. Default <c>sigmoid</c>.</param>
    /// <param name="useBias">Whether to add a bias. Default true.</param>
    /// <param name="kernelInitializer">For kernel. Default <c>glorot_uniform</c>.</param>
    /// <param name="recurrentInitializer">For recurrent_kernel. Default <c>orthogonal</c>.</param>
    /// <param name="biasInitializer">For bias. Default <c>zeros</c>.</param>
    /// <param name="unitForgetBias">Start the forget gate's bias at one. Default true.</param>
    /// <param name="dropout">Fraction of input features dropped in training, in [0, 1). Default 0.</param>
    /// <param name="recurrentDropout">Fraction of h's units dropped in training, in [0, 1). Default 0.</param>
    /// <param name="returnSequences">Return the output at every step rather than only the last. Default false.</param>
    /// <param name="returnState">Also return the final h and c. Default false.</param>
    /// <param name="goBackwards">Process the sequence in reverse (outputs come in the reversed order, as in Keras). Default false.</param>
    /// <param name="inputShape">Per-sample input shape (time, features); time may be −1. Default none.</param>
    /// <param name="name">Layer name. Default: given by the model (<c>lstm</c>, <c>lstm_1</c>, …).</param>
    /// <exception cref="ArgumentException">A size, rate or name is invalid.</exception>
    public LSTM(
        int units,
        string activation = "tanh",
        string recurrentActivation = "sigmoid",
        bool useBias = true,
        string kernelInitializer = "glorot_uniform",
        string recurrentInitializer = "orthogonal",
        string biasInitializer = "zeros",
        bool unitForgetBias = true,
        double dropout = 0,
        double recurrentDropout = 0,
        bool returnSequences = false,
        bool returnState = false,
        bool goBackwards = false,
        long[]? inputShape = null,
        string? name = null)
        : base(new LSTMCell(Positive(units, nameof(units)), activation, recurrentActivation, useBias, kernelInitializer,
                recurrentInitializer, biasInitializer, unitForgetBias),
            dropout, recurrentDropout, returnSequences, returnState, goBackwards, inputShape, name)
    {
    }

    /// <summary>The one-step computation over this layer's weights.</summary>
    public new LSTMCell Cell => (LSTMCell)base.Cell;

    /// <summary>The gates' non-linearity.</summary>
    public Activation RecurrentActivation => Cell.RecurrentActivation;

    /// <summary>Whether the forget gate's bias starts at one.</summary>
    public bool UnitForgetBias => Cell.UnitForgetBias;

    public override JsonObject GetConfig()
    {
        var config = base.GetConfig();
        config["recurrent_activation"] = RecurrentActivation.Name;
        config["unit_forget_bias"] = UnitForgetBias;
        return config;
    }

    /// <summary>Keras <c>from_config</c>: a new, unbuilt layer from <see cref="GetConfig"/>'s object.</summary>
    /// <exception cref="InvalidDataException">A key holds a value of the wrong type, or <c>units</c> is missing.</exception>
    public static LSTM FromConfig(LayerConfig config)
    {
        var c = CommonConfig.Read(config);
        return new LSTM(c.Units, c.Activation, config.String("recurrent_activation", "sigmoid")!, c.UseBias, c.KernelInitializer,
            c.RecurrentInitializer, c.BiasInitializer, config.Bool("unit_forget_bias", true), c.Dropout, c.RecurrentDropout,
            c.ReturnSequences, c.ReturnState, c.GoBackwards, c.InputShape, c.Name);
    }

    private protected override RNN Recreate(LayerConfig config) => FromConfig(config);
}
