using MlNetRnn.Training;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.utils.rnn;

namespace MlNetRnn.Layers;

/// <summary>
/// One time step of a recurrent layer (Keras's <c>SimpleRNNCell</c>, <c>LSTMCell</c>, <c>GRUCell</c>): it owns the
/// weights, and maps an input (batch, features) and a state of <see cref="StateCount"/> tensors, each (batch, units),
/// to an output (batch, units) and the next state. The <see cref="RNN"/> layer around it handles masks, direction,
/// dropout masks and the choice between the fused libtorch kernel and the step loop.
/// </summary>
public abstract class RecurrentCell : nn.Module
{
    private LayerWeight[] _weights = [];

    private protected RecurrentCell(string name, int units, string activation, bool useBias,
        string kernelInitializer, string recurrentInitializer, string biasInitializer)
        : base(name)
    {
        Units = units;
        Activation = Activation.Get(activation, nameof(activation));
        UseBias = useBias;
        KernelInitializer = Initializer.Get(kernelInitializer, nameof(kernelInitializer));
        RecurrentInitializer = Initializer.Get(recurrentInitializer, nameof(recurrentInitializer));
        BiasInitializer = Initializer.Get(biasInitializer, nameof(biasInitializer));
    }

    /// <summary>Size of the output and of each state tensor.</summary>
    public int Units { get; }

    /// <summary>The output non-linearity (Keras <c>activation</c>).</summary>
    public Activation Activation { get; }

    /// <summary>Whether the cell adds a bias.</summary>
    public bool UseBias { get; }

    /// <summary>Initializer of <c>kernel</c>.</summary>
    public Initializer KernelInitializer { get; }

    /// <summary>Initializer of <c>recurrent_kernel</c>.</summary>
    public Initializer RecurrentInitializer { get; }

    /// <summary>Initializer of <c>bias</c>.</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>How many tensors the state holds: 1 (h), or 2 for an LSTM (h, c).</summary>
    public abstract int StateCount { get; }

    /// <summary>Whether the weights exist.</summary>
    public bool Built => Weights.Count > 0;

    /// <summary>The weights in Keras order and layout (empty before the layer is built).</summary>
    public IReadOnlyList<LayerWeight> Weights => _weights;

    /// <summary>How many gate blocks the kernel has (1, 4 for an LSTM, 3 for a GRU): with recurrent dropout each gate
    /// gets its own dropout masks, as in Keras's per-gate implementation.</summary>
    internal abstract int GateCount { get; }

    /// <summary>Whether libtorch's fused kernel computes exactly this cell's recurrence (depends on the configuration only).</summary>
    internal abstract bool HasFusedKernel { get; }

    /// <summary>The Keras names and shapes of the weights <see cref="Build"/> creates for inputs of
    /// <paramref name="features"/> features: kernel (features, gates·units), recurrent_kernel (units, gates·units) and,
    /// with a bias, bias (<see cref="BiasShape"/>). Nothing is allocated.</summary>
    internal IReadOnlyList<(string Name, long[] Shape)> WeightShapes(long features) => UseBias
        ? [("kernel", [features, GateWidth]), ("recurrent_kernel", [Units, GateWidth]), ("bias", BiasShape)]
        : [("kernel", [features, GateWidth]), ("recurrent_kernel", [Units, GateWidth])];

    /// <summary>The bias's Keras shape: (gates·units) unless the cell has more than one bias per gate.</summary>
    private protected virtual long[] BiasShape => [GateWidth];

    /// <summary>Width of the kernels and the bias: gates·units, computed in 64 bits (a crafted config's units can be large).</summary>
    private protected long GateWidth => (long)GateCount * Units;

    /// <summary>Creates the weights for inputs of <paramref name="features"/> features (called once, under no_grad).</summary>
    internal abstract void Build(long features, Generator? generator);

    /// <summary>One step without dropout.</summary>
    /// <param name="input">x_t, shape (batch, features).</param>
    /// <param name="states">The previous state: <see cref="StateCount"/> tensors, each (batch, units).</param>
    /// <returns>The step's output (batch, units) and the next state.</returns>
    /// <exception cref="InvalidOperationException">The layer is not built yet.</exception>
    public (Tensor Output, Tensor[] States) Step(Tensor input, IReadOnlyList<Tensor> states)
    {
        RequireBuilt();
        if (states.Count != StateCount)
        {
            throw new ArgumentException($"The cell's state has {StateCount} tensor(s); received {states.Count}.", nameof(states));
        }
        return Step(input, states, null);
    }

    /// <summary>One step with optional per-gate dropout masks (Keras applies them to the input and to h).</summary>
    internal abstract (Tensor Output, Tensor[] States) Step(Tensor input, IReadOnlyList<Tensor> states, GateDropout? dropout);

    /// <summary>Whether <see cref="RunSingleSequence"/> computes this cell's recurrence (depends on the configuration only).</summary>
    internal virtual bool HasSingleSequenceLoop => false;

    /// <summary>Runs one sequence whose steps are all real in the managed loop of <see cref="SingleSequenceRecurrence"/>
    /// (only when <see cref="HasSingleSequenceLoop"/> and <see cref="SingleSequenceRecurrence.Applies"/>).</summary>
    /// <param name="inputs">(1, time, features).</param>
    /// <returns>The outputs (1, time, units) and the final state, each (1, units).</returns>
    internal virtual (Tensor Sequence, Tensor[] States) RunSingleSequence(Tensor inputs) =>
        throw new InvalidOperationException($"The {GetType().Name} has no single-sequence loop; it runs through libtorch.");

    /// <summary>Runs libtorch's kernel over a whole batch (only when <see cref="HasFusedKernel"/>).</summary>
    /// <param name="inputs">(batch, time, features).</param>
    /// <param name="lengths">Real steps per row (each ≥ 1), padding after them; null when every row is full.</param>
    /// <returns>The outputs (batch, time, units), meaningful at real steps, and the state after each row's last real step.</returns>
    internal abstract (Tensor Sequence, Tensor[] States) RunFused(Tensor inputs, Tensor? lengths);

    /// <summary>Packs right-padded rows for a libtorch kernel, so that each row's final state is taken at its last real step.</summary>
    private protected static PackedSequence Pack(Tensor inputs, Tensor lengths) =>
        pack_padded_sequence(inputs, lengths.cpu(), batch_first: true, enforce_sorted: false);

    /// <summary>The outputs of a packed run back as (batch, time, units), zero after each row's length.</summary>
    private protected static Tensor Unpack(PackedSequence packed, long time)
    {
        var (sequence, lengths) = pad_packed_sequence(packed, batch_first: true, total_length: time);
        lengths.Dispose();
        return sequence;
    }

    /// <summary>
    /// Projects x (batch, in) by a kernel (in, gates·units) in Keras layout. With masks (gates, batch, in), gate g's
    /// block sees x ⊙ masks[g] (Keras's per-gate dropout).
    /// </summary>
    private protected static Tensor GateProjection(Tensor x, Tensor kernel, Tensor? masks)
    {
        if (masks is null)
        {
            return x.matmul(kernel);
        }
        long gates = masks.shape[0];
        var perGate = kernel.reshape(kernel.shape[0], gates, -1).permute(1, 0, 2);   // (gates, in, units)
        return (x.unsqueeze(0) * masks).bmm(perGate).permute(1, 0, 2).reshape(x.shape[0], -1);
    }

    /// <summary>The Keras-layout initial kernel, recurrent kernel (drawn over their whole Keras shapes, as Keras does).</summary>
    private protected (Tensor Kernel, Tensor RecurrentKernel) DrawKernels(long features, Generator? generator) =>
        (KernelInitializer.Draw([features, GateWidth], generator),
         RecurrentInitializer.Draw([Units, GateWidth], generator));

    /// <summary>The initial bias, <see cref="BiasShape"/>, drawn after the kernels. Default: the bias initializer over
    /// the whole shape.</summary>
    private protected virtual Tensor DrawBias(Generator? generator) => BiasInitializer.Draw(BiasShape, generator);

    /// <summary>
    /// Initializes the layer-0 weights of a libtorch recurrent module (<c>nn.RNN</c>, <c>nn.LSTM</c>) made for this
    /// cell, whose gate order is Keras's, and keeps them as the cell's <see cref="Weights"/>: the kernels are drawn in
    /// Keras layout and stored transposed, the bias goes in <c>bias_ih_l0</c>, and libtorch's second bias
    /// (<c>bias_hh_l0</c>) is held at zero and out of training, since Keras cells have one bias.
    /// </summary>
    /// <returns>The module's parameters: input weight (gates·units, features), recurrent weight (gates·units, units),
    /// and bias (gates·units) or null without one.</returns>
    private protected (Tensor InputWeight, Tensor RecurrentWeight, Tensor? Bias) AdoptWeights(nn.Module module, long features, Generator? generator)
    {
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var inputWeight = parameters["weight_ih_l0"];
        var recurrentWeight = parameters["weight_hh_l0"];
        var (kernel, recurrentKernel) = DrawKernels(features, generator);
        inputWeight.copy_(kernel.t());
        recurrentWeight.copy_(recurrentKernel.t());
        Tensor? bias = null;
        if (UseBias)
        {
            bias = parameters["bias_ih_l0"];
            bias.copy_(DrawBias(generator));
            var secondBias = parameters["bias_hh_l0"];
            secondBias.zero_();
            secondBias.requires_grad = false;
        }
        KeepWeights(inputWeight, recurrentWeight, bias, transposed: true);
        return (inputWeight, recurrentWeight, bias);
    }

    /// <summary>Sets <see cref="Weights"/>: kernel, recurrent_kernel (stored transposed when <c>transposed</c>, as
    /// libtorch's modules keep them) and, when given, bias.</summary>
    private protected void KeepWeights(Tensor kernel, Tensor recurrentKernel, Tensor? bias, bool transposed)
    {
        LayerWeight[] kernels = [new("kernel", kernel, transposed), new("recurrent_kernel", recurrentKernel, transposed)];
        _weights = bias is null ? kernels : [.. kernels, new LayerWeight("bias", bias, transposed: false)];
    }

    private protected void RequireBuilt()
    {
        if (!Built)
        {
            throw new InvalidOperationException($"The {GetType().Name} has not been built yet: build its layer (or the layer's model) first.");
        }
    }
}
