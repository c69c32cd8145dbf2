using System.Text.Json.Nodes;
using MlNetRnn.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras <c>Embedding</c>: maps integer ids to dense vectors. Input (batch, time) of ids in [0, inputDim), or any
/// rank, e.g. (batch, time, chars); output (batch, …, outputDim). Weight: embeddings (inputDim, outputDim). With
/// <c>maskZero</c>, id 0 is padding and the layer emits a mask shaped like its input ((batch, time), or
/// (batch, time, chars)) that later layers (recurrent layers, TimeDistributed, pooling, the loss) respect.
/// </summary>
public sealed class Embedding : Layer
{
    private readonly Initializer _initializer;
    private Tensor? _embeddings;
    private LayerWeight[] _weights = [];

    /// <param name="inputDim">Vocabulary size (largest id + 1). Must be positive.</param>
    /// <param name="outputDim">Vector size. Must be positive.</param>
    /// <param name="maskZero">Treat id 0 as padding. Default false.</param>
    /// <param name="embeddingsInitializer">Default <c>uniform</c> (U(−0.05, 0.05)).</param>
    /// <param name="inputShape">Per-sample input shape, e.g. (time) or (time, chars); sizes may be −1. Default none.</param>
    /// <param name="name">Layer name. Default: given by the model (<c>embedding</c>, …).</param>
    public Embedding(int inputDim, int outputDim, bool maskZero = false, string embeddingsInitializer = "uniform",
        long[]? inputShape = null, string? name = null)
        : base(name, inputShape)
    {
        InputDim = Positive(inputDim, nameof(inputDim));
        OutputDim = Positive(outputDim, nameof(outputDim));
        MaskZero = maskZero;
        _initializer = Initializer.Get(embeddingsInitializer, nameof(embeddingsInitializer));
    }

    public int InputDim { get; }
    public int OutputDim { get; }
    public bool MaskZero { get; }

    /// <summary>Rebuilds the layer from <see cref="GetConfig"/>'s object (Keras keys; absent keys take Keras's defaults).</summary>
    /// <exception cref="InvalidDataException">A key is missing or has the wrong type.</exception>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public static Embedding FromConfig(LayerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new Embedding(
            config.Int("input_dim"),
            config.Int("output_dim"),
            config.Bool("mask_zero", false),
            config.String("embeddings_initializer", "uniform")!,
            config.InputShape,
            config.Name);
    }

    public override JsonObject GetConfig()
    {
        var config = base.GetConfig();
        config["input_dim"] = InputDim;
        config["output_dim"] = OutputDim;
        config["embeddings_initializer"] = _initializer.Name;
        config["mask_zero"] = MaskZero;
        return config;
    }

    protected override int? InputRank => null;

    public override IReadOnlyList<LayerWeight> Weights => _weights;

    protected override IReadOnlyList<long[]> OutputShapes(long[] inputShape) => [[.. inputShape, OutputDim]];

    protected override IReadOnlyList<(string Name, long[] Shape)> DeclaredWeights(long[] inputShape) =>
        [("embeddings", [InputDim, OutputDim])];

    protected override void CreateWeights(long[] inputShape, Generator? generator)
    {
        _embeddings = new Parameter(_initializer.Draw([InputDim, OutputDim], generator));
        register_parameter("embeddings", (Parameter)_embeddings);
        _weights = [new LayerWeight("embeddings", _embeddings, transposed: false)];
    }

    protected override IReadOnlyList<Tensor> Forward(Tensor inputs, Tensor? mask)
    {
        if (inputs.is_floating_point())
        {
            throw new ArgumentException($"Layer '{Name}' (Embedding) expects integer ids; received {inputs.dtype}.", nameof(inputs));
        }
        using var scope = NewDisposeScope();
        var ids = inputs.dtype == ScalarType.Int64 ? inputs : inputs.to_type(ScalarType.Int64);
        if (ids.numel() > 0)
        {
            // One reduction for both bounds (each op and each read-back costs microseconds at serving sizes).
            var (lowest, highest) = ids.aminmax();
            long min = lowest.item<long>(), max = highest.item<long>();
            if (min < 0 || max >= InputDim)
            {
                throw new ArgumentException(
                    $"Layer '{Name}' (Embedding) takes ids in [0, {InputDim - 1}]; received ids in [{min}, {max}].", nameof(inputs));
            }
        }
        var vectors = _embeddings!.index_select(0, ids.flatten()).reshape([.. ids.shape, OutputDim]);
        return [vectors.MoveToOuterDisposeScope()];
    }

    /// <summary>With <see cref="MaskZero"/>, true where the id is not 0, shaped like the ids; otherwise the input mask.</summary>
    public override Tensor? ComputeMask(Tensor inputs, Tensor? mask) => MaskZero ? inputs.ne(Scalars.Zero) : mask;
}
