using System.Text.Json.Nodes;
using MlNetRnn.Training;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras <c>GRU</c>: gated recurrent unit (equations in <see cref="GRUCell"/>). Input (batch, time, features).
/// Output (batch, units), or (batch, time, units) with <c>returnSequences</c>; with <c>returnState</c> the final
/// state (batch, units) follows.
/// </summary>
/// <remarks>
/// Weights: kernel (features, 3·units), recurrent_kernel (units, 3·units), gates [z r h]; bias (2, 3·units) with
/// <c>resetAfter</c> (input bias, then recurrent bias), else (3·units). The layer steps through <see cref="Cell"/>.
/// Masks, direction and dropout: see <see cref="RNN"/>.
/// </remarks>
public sealed class GRU : RNN
{
    /// <param name="units">Size of the output and state. Must be positive.</param>
    /// <param name="activation">For the candidate state. Default <c>tanh</c>.</param>
    /// <param name="recurrentActivation">For the gates. Default <c>sigmoid</c>.</param>
    /// <param name="useBias">Whether to add biases. Default true.</param>
    /// <param name="kernelInitializer">For kernel. Default <c>glorot_uniform</c>.</param>
    /// <param name="recurrentInitializer">For recurrent_kernel. Default <c>orthogonal</c>.</param>
    /// <param name="biasInitializer">For bias. Default <c>zeros</c>.</param>
    /// <param name="dropout">Fraction of input features dropped in training, in [0, 1). Default 0.</param>
    /// <param name="recurrentDropout">Fraction of state units dropped in training, in [0, 1). Default 0.</param>
    /// <param name="returnSequences">Return the output at every step rather than only the last. Default false.</param>
    /// <param name="returnState">Also return the final state. Default false.</param>
    /// <param name="goBackwards">Process the sequence in reverse (outputs come in the reversed order, as in Keras). Default false.</param>
    /// <param name="resetAfter">Apply the reset gate after the recurrent product, with a separate recurrent bias
    /// (Keras's default, the cuDNN variant). Default true.</param>
    /// <param name="inputShape">Per-sample input shape (time, features); time may be −1. Default none.</param>
    /// <param name="name">Layer name. Default: given by the model (<c>gru</c>, <c>gru_1</c>, …).</param>
    /// <exception cref="ArgumentException">A size, rate or name is invalid.</exception>
    public GRU(
        int units,
        string activation = "tanh",
        string recurrentActivation = "sigmoid",
        bool useBias = true,
        string kernelInitializer = "glorot_uniform",
        string recurrentInitializer = "orthogonal",
        string biasInitializer = "zeros",
        double dropout = 0,
        double recurrentDropout = 0,
        bool returnSequences = false,
        bool returnState = false,
        bool goBackwards = false,
        bool resetAfter = true,
        long[]? inputShape = null,
        string? name = null)
        : base(new GRUCell(Positive(units, nameof(units)), activation, recurrentActivation, useBias, kernelInitializer,
                recurrentInitializer, biasInitializer, resetAfter),
            dropout, recurrentDropout, returnSequences, returnState, goBackwards, inputShape, name)
    {
    }

    /// <summary>The one-step computation over this layer's weights.</summary>
    public new GRUCell Cell => (GRUCell)base.Cell;

    /// <summary>The gates' non-linearity.</summary>
    public Activation RecurrentActivation => Cell.RecurrentActivation;

    /// <summary>Whether the reset gate applies after the recurrent product.</summary>
    public bool ResetAfter => Cell.ResetAfter;

    public override JsonObject GetConfig()
    {
        var config = base.GetConfig();
        config["recurrent_activation"] = RecurrentActivation.Name;
        config["reset_after"] = ResetAfter;
        return config;
    }

    /// <summary>Keras <c>from_config</c>: a new, unbuilt layer from <see cref="GetConfig"/>'s object.</summary>
    /// <exception cref="InvalidDataException">A key holds a value of the wrong type, or <c>units</c> is missing.</exception>
    public static GRU FromConfig(LayerConfig config)
    {
        var c = CommonConfig.Read(config);
        return new GRU(c.Units, c.Activation, config.String("recurrent_activation", "sigmoid")!, c.UseBias, c.KernelInitializer,
            c.RecurrentInitializer, c.BiasInitializer, c.Dropout, c.RecurrentDropout, c.ReturnSequences, c.ReturnState,
            c.GoBackwards, config.Bool("reset_after", true), c.InputShape, c.Name);
    }

    private protected override RNN Recreate(LayerConfig config) => FromConfig(config);
}
