using System.Text.Json.Nodes;
using MlNetRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// The base of Keras's recurrent layers (<see cref="SimpleRNN"/>, <see cref="LSTM"/>, <see cref="GRU"/>): runs a
/// <see cref="RecurrentCell"/> over a sequence. Input (batch, time, features). Output (batch, units), or
/// (batch, time, units) with <see cref="ReturnSequences"/>; with <see cref="ReturnState"/> the final state tensors
/// follow, each (batch, units).
/// </summary>
/// <remarks>
/// <para>Masks follow Keras: a masked step keeps the previous state, and its output repeats the previous output
/// (zeros before the first real step). <see cref="GoBackwards"/> reverses the sequence and its mask together, so
/// outputs come in the reversed order, as in Keras.</para>
/// <para>When the cell has a libtorch kernel for its configuration, the mask is absent or right-padded (real steps,
/// then only padding) and no recurrent dropout is active, the whole sequence runs in that kernel (right-padded
/// rows are packed, so each row's state stops at its last real step); otherwise the layer steps through the cell.
/// Both give the same numbers. A single float32 sequence whose steps are all real, with autograd off (a
/// <c>PredictionEngine</c>'s one sentence), runs a managed loop over the same weights instead (SimpleRNN, LSTM and GRU
/// with their default activations): libtorch's kernels and the step loop pay several ATen ops a step at batch 1.</para>
/// <para>Dropout (on inputs) and recurrent dropout (on h) act only in training, with masks drawn once per call
/// from <see cref="Layer.RandomSource"/> and scaled by 1/(1 − rate). With recurrent dropout each gate gets its own
/// masks, as in Keras 3's per-gate implementation; otherwise one input mask serves every gate and step.</para>
/// </remarks>
public abstract class RNN : Layer
{
    private protected RNN(RecurrentCell cell, double dropout, double recurrentDropout, bool returnSequences,
        bool returnState, bool goBackwards, long[]? inputShape, string? name)
        : base(name, inputShape)
    {
        Cell = cell;
        Dropout = Rate(dropout, nameof(dropout));
        RecurrentDropout = Rate(recurrentDropout, nameof(recurrentDropout));
        ReturnSequences = returnSequences;
        ReturnState = returnState;
        GoBackwards = goBackwards;
        register_module("cell", cell);
        if (inputShape is not null)
        {
            CheckInputShape(inputShape);
        }
    }

    /// <summary>The one-step computation, which owns the weights.</summary>
    public RecurrentCell Cell { get; }

    /// <summary>Size of the output and of each state tensor.</summary>
    public int Units => Cell.Units;

    /// <summary>The output non-linearity.</summary>
    public Activation Activation => Cell.Activation;

    /// <summary>Whether the cell adds a bias.</summary>
    public bool UseBias => Cell.UseBias;

    /// <summary>Fraction of input features dropped in training.</summary>
    public double Dropout { get; }

    /// <summary>Fraction of state units dropped (in the products with the recurrent kernel) in training.</summary>
    public double RecurrentDropout { get; }

    /// <summary>Whether the output is every step's (batch, time, units) rather than the last one's.</summary>
    public bool ReturnSequences { get; }

    /// <summary>Whether the final state tensors follow the output.</summary>
    public bool ReturnState { get; }

    /// <summary>Whether the sequence runs from its end (outputs come in that reversed order, as in Keras).</summary>
    public bool GoBackwards { get; }

    /// <summary>Whether libtorch's fused kernel can run this layer's recurrence (it still steps for masks with holes
    /// and for recurrent dropout in training).</summary>
    public bool IsFused => Cell.HasFusedKernel;

    /// <summary>Keras's <c>zero_output_for_mask</c>: masked steps output zeros instead of repeating the previous
    /// output. <see cref="Bidirectional"/> sets it for sequence outputs, as Keras does.</summary>
    internal bool ZeroOutputForMask { get; set; }

    /// <summary>Steps through the cell even when the fused kernel could run (tests compare the two paths).</summary>
    internal bool PreferStepwise { get; set; }

    public override int OutputCount => ReturnState ? 1 + Cell.StateCount : 1;

    protected override int? InputRank => 2;

    public override IReadOnlyList<LayerWeight> Weights => Cell.Weights;

    public override Tensor? ComputeMask(Tensor inputs, Tensor? mask) => ReturnSequences ? mask : null;

    public override JsonObject GetConfig()
    {
        var config = base.GetConfig();
        config["units"] = Units;
        config["activation"] = Activation.Name;
        config["use_bias"] = UseBias;
        config["kernel_initializer"] = Cell.KernelInitializer.Name;
        config["recurrent_initializer"] = Cell.RecurrentInitializer.Name;
        config["bias_initializer"] = Cell.BiasInitializer.Name;
        config["dropout"] = Dropout;
        config["recurrent_dropout"] = RecurrentDropout;
        config["return_sequences"] = ReturnSequences;
        config["return_state"] = ReturnState;
        config["go_backwards"] = GoBackwards;
        return config;
    }

    /// <summary>A new, unbuilt layer with this one's configuration but another name and direction (for <see cref="Bidirectional"/>).</summary>
    internal RNN Recreate(string name, bool goBackwards)
    {
        var config = GetConfig();
        config["name"] = name;
        config["go_backwards"] = goBackwards;
        config.Remove("input_shape");
        return Recreate(new LayerConfig(TypeName, config));
    }

    /// <summary>The subclass's <c>FromConfig</c>.</summary>
    private protected abstract RNN Recreate(LayerConfig config);

    protected override IReadOnlyList<long[]> OutputShapes(long[] inputShape)
    {
        long[] output = ReturnSequences ? [inputShape[0], Units] : [Units];
        return ReturnState ? [output, .. Enumerable.Range(0, Cell.StateCount).Select(_ => new long[] { Units })] : [output];
    }

    protected override IReadOnlyList<(string Name, long[] Shape)> DeclaredWeights(long[] inputShape) => Cell.WeightShapes(inputShape[1]);

    protected override void CreateWeights(long[] inputShape, Generator? generator) => Cell.Build(inputShape[1], generator);

    protected override IReadOnlyList<Tensor> Forward(Tensor inputs, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var lengths = mask?.sum(1, type: ScalarType.Int64);
        var dropout = DrawDropout(inputs);
        var x = dropout.Sequence is { } inputMask ? inputs * inputMask.unsqueeze(1) : inputs;
        (Tensor Sequence, Tensor[] States) run;
        if (RunsSingleSequence(x, lengths, dropout.Gates))
        {
            run = Cell.RunSingleSequence(GoBackwards ? x.flip(1) : x);
        }
        else
        {
            bool rightPadded = mask is null || IsRightPadded(mask, lengths!);
            bool fused = Cell.HasFusedKernel && rightPadded && dropout.Gates is null && !PreferStepwise;
            run = fused
                ? RunFused(x, mask, lengths)
                : RunSteps(GoBackwards ? x.flip(1) : x, GoBackwards ? mask?.flip(1) : mask, dropout.Gates);
        }
        var (sequence, states) = run;
        var output = ReturnSequences ? sequence : sequence[.., -1];
        Tensor[] outputs = ReturnState ? [output, .. states] : [output];
        return MoveOut(outputs);
    }

    // One row in inference whose steps are all real (no mask, or a full one: one read-back), and a cell with a managed
    // loop: SingleSequenceRecurrence, where libtorch would pay several ops a step.
    private bool RunsSingleSequence(Tensor x, Tensor? lengths, GateDropout? gates) =>
        Cell.HasSingleSequenceLoop && gates is null && !PreferStepwise && SingleSequenceRecurrence.Applies(x)
        && (lengths is null || lengths[0].item<long>() == x.shape[1]);

    /// <summary>Moves tensors to the enclosing dispose scope, each once even when listed twice (an output is often also the state).</summary>
    internal static Tensor[] MoveOut(Tensor[] tensors)
    {
        foreach (var tensor in tensors.Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>())
        {
            tensor.MoveToOuterDisposeScope();
        }
        return tensors;
    }

    /// <summary>Steps through the cell: any activation, any mask, per-gate dropout. Keras's loop.</summary>
    /// <param name="x">(batch, time, features), already in processing order.</param>
    /// <param name="mask">(batch, time) or null, in the same order.</param>
    /// <param name="dropout">Per-gate dropout masks, or null.</param>
    /// <returns>Every step's output (batch, time, units) and the final state.</returns>
    internal (Tensor Sequence, Tensor[] States) RunSteps(Tensor x, Tensor? mask, GateDropout? dropout = null)
    {
        long batch = x.shape[0], time = x.shape[1];
        var states = Enumerable.Range(0, Cell.StateCount).Select(_ => zeros(batch, Units, dtype: x.dtype)).ToArray();
        var previous = zeros(batch, Units, dtype: x.dtype);
        var outputs = new Tensor[time];
        for (long t = 0; t < time; t++)
        {
            using var step = NewDisposeScope();
            var (output, next) = Cell.Step(x[.., t], states, dropout);
            if (mask is not null)
            {
                var real = mask[.., t].unsqueeze(1);
                next = next.Zip(states, (n, s) => where(real, n, s)).ToArray();
                output = where(real, output, ZeroOutputForMask ? zeros_like(output) : previous);
            }
            MoveOut([output, .. next]);
            states = next;
            previous = outputs[t] = output;
        }
        return (stack(outputs, 1), states);
    }

    // Right padding cannot change the real steps (they come first), so the kernel runs on the batch as is, or packed
    // when there is much padding or the final states are returned (see RunsUnpacked). Padding outputs then follow
    // Keras's loop: with goBackwards the padding comes first (zeros, before any real step), otherwise it repeats each
    // row's last real output (or zeros).
    private (Tensor Sequence, Tensor[] States) RunFused(Tensor x, Tensor? mask, Tensor? lengths)
    {
        long time = x.shape[1], batchSteps = x.shape[0] * time;
        if (mask is null || lengths is null || FillsBatch(lengths, batchSteps, out long realSteps))
        {
            return Cell.RunFused(GoBackwards ? x.flip(1) : x, null);
        }
        var empty = lengths.eq(Scalars.Zero).unsqueeze(1);
        bool pack = !RunsUnpacked(realSteps, batchSteps, ReturnState);
        var (sequence, states) = Cell.RunFused(GoBackwards ? ReverseWithinLength(x, lengths) : x, pack ? lengths.clamp_min(Scalars.One) : null);
        states = states.Select(s => s.masked_fill(empty, Scalars.Zero)).ToArray();
        var t = arange(time, dtype: ScalarType.Int64).unsqueeze(0);
        if (GoBackwards)
        {
            // Keras reads [padding, x_{L−1} … x_0]: shift the within-length outputs right by the padding.
            var shift = (time - lengths).unsqueeze(1);
            var index = (t - shift).clamp_min(Scalars.Zero).unsqueeze(2).expand(-1, -1, Units);
            return (sequence.gather(1, index).masked_fill((t < shift).unsqueeze(2), Scalars.Zero), states);
        }
        var lastIndex = (lengths - Scalars.One).clamp_min(Scalars.Zero).view(-1, 1, 1).expand(-1, 1, Units);
        var last = sequence.gather(1, lastIndex).masked_fill(empty.unsqueeze(2), Scalars.Zero);
        var filler = ZeroOutputForMask ? zeros_like(last) : last;
        return (where(mask.unsqueeze(2), sequence, filler), states);
    }

    /// <summary>Whether a right-padded batch runs the fused kernel unpacked: when the final states are not returned (a
    /// run over the padding would end them there) and the batch has at most <see cref="MaxStepsPerRealStep"/> steps
    /// (batch × time) per real step. Real steps come first, so their outputs are the same, and those at padding are
    /// replaced by Keras's fillers. With little padding that beats packing: libtorch's LSTM then runs in oneDNN (64
    /// sentences of 16 steps, LSTM 150: 4.8 ms against 6.4 ms packed), at the price of other last bits than the packed
    /// kernel's.</summary>
    internal static bool RunsUnpacked(long realSteps, long batchSteps, bool returnState) =>
        !returnState && batchSteps <= realSteps * MaxStepsPerRealStep;

    /// <summary>Steps of a padded batch per real step up to which it runs unpacked (see <see cref="RunsUnpacked"/>).</summary>
    internal const double MaxStepsPerRealStep = 1.25;

    // Dropout masks for this call (training only): one input mask for the whole sequence when the gates can share it,
    // per-gate masks for the step loop when recurrent dropout is active.
    private (Tensor? Sequence, GateDropout? Gates) DrawDropout(Tensor inputs)
    {
        if (!training || (Dropout == 0 && RecurrentDropout == 0))
        {
            return (null, null);
        }
        long batch = inputs.shape[0], features = inputs.shape[2];
        if (RecurrentDropout == 0)
        {
            return (DropoutMask([batch, features], Dropout, inputs.dtype), null);
        }
        long gates = Cell.GateCount;
        var inputMasks = Dropout > 0 ? DropoutMask([gates, batch, features], Dropout, inputs.dtype) : null;
        return (null, new GateDropout(inputMasks, DropoutMask([gates, batch, Units], RecurrentDropout, inputs.dtype)));
    }

    private Tensor DropoutMask(long[] shape, double rate, ScalarType dtype)
    {
        // Held to the end of the call: an implicit Scalar could be finalized while libtorch reads it (see Scalars).
        using var threshold = rate.ToScalar();
        using var keep = (1 - rate).ToScalar();
        return (rand(shape, dtype: dtype, generator: RandomSource) >= threshold).to_type(dtype) / keep;
    }

    // Every row as long as the batch: nothing to pack. One read-back gives the real steps for RunsUnpacked too; lengths
    // never exceed the time axis, so the rows are all full exactly when their real steps fill the batch.
    private static bool FillsBatch(Tensor lengths, long batchSteps, out long realSteps)
    {
        realSteps = lengths.sum().item<long>();
        return realSteps == batchSteps;
    }

    // True when every row is real steps followed only by padding.
    private static bool IsRightPadded(Tensor mask, Tensor lengths) =>
        mask.eq(arange(mask.shape[1], dtype: ScalarType.Int64).unsqueeze(0) < lengths.unsqueeze(1)).all().item<bool>();

    // Reverses each row within its length; the padding (at the end) stays at the end.
    private static Tensor ReverseWithinLength(Tensor x, Tensor lengths)
    {
        var t = arange(x.shape[1], dtype: ScalarType.Int64).unsqueeze(0);
        var length = lengths.unsqueeze(1);
        var index = where(t < length, length - Scalars.One - t, t).unsqueeze(2).expand_as(x);
        return x.gather(1, index);
    }

    private static double Rate(double value, string argumentName) => value is >= 0 and < 1
        ? value
        : throw new ArgumentException(
            $"Received an invalid value for {argumentName}, expected a float in [0, 1); received {argumentName}={value}.", argumentName);

    /// <summary>The arguments every recurrent layer's config holds, read with Keras's defaults.</summary>
    private protected readonly record struct CommonConfig(
        int Units, string Activation, bool UseBias, string KernelInitializer, string RecurrentInitializer,
        string BiasInitializer, double Dropout, double RecurrentDropout, bool ReturnSequences, bool ReturnState,
        bool GoBackwards, long[]? InputShape, string? Name)
    {
        public static CommonConfig Read(LayerConfig config) => new(
            config.Int("units"),
            config.String("activation", "tanh")!,
            config.Bool("use_bias", true),
            config.String("kernel_initializer", "glorot_uniform")!,
            config.String("recurrent_initializer", "orthogonal")!,
            config.String("bias_initializer", "zeros")!,
            config.Double("dropout", 0),
            config.Double("recurrent_dropout", 0),
            config.Bool("return_sequences", false),
            config.Bool("return_state", false),
            config.Bool("go_backwards", false),
            config.InputShape,
            config.Name);
    }
}
