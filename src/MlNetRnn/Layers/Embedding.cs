using MlNetRnn.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras <c>Embedding</c>: maps integer ids to dense vectors. Input (batch, time) of ids in [0, inputDim);
/// output (batch, time, outputDim). Weight: embeddings (inputDim, outputDim). With <c>maskZero</c>, id 0 is
/// padding and the layer emits a mask that later layers (SimpleRNN, the loss) respect.
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
    /// <param name="inputShape">Per-sample input shape (time); time may be −1. Default none.</param>
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

    protected override int? InputRank => 1;

    public override IReadOnlyList<LayerWeight> Weights => _weights;

    protected override IReadOnlyList<long[]> OutputShapes(long[] inputShape) => [[inputShape[0], OutputDim]];

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
        var ids = inputs.to_type(ScalarType.Int64);
        if (ids.numel() > 0)
        {
            long min = ids.min().item<long>(), max = ids.max().item<long>();
            if (min < 0 || max >= InputDim)
            {
                throw new ArgumentException(
                    $"Layer '{Name}' (Embedding) takes ids in [0, {InputDim - 1}]; received ids in [{min}, {max}].", nameof(inputs));
            }
        }
        var vectors = _embeddings!.index_select(0, ids.flatten()).reshape(ids.shape[0], ids.shape[1], OutputDim);
        return [vectors.MoveToOuterDisposeScope()];
    }

    public override Tensor? ComputeMask(Tensor inputs, Tensor? mask) => MaskZero ? inputs.ne(0) : mask;
}
