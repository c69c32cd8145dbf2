using System.Text.Json.Nodes;
using MlNetRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras <c>Dropout</c>: while training, sets each input element to 0 with probability <c>rate</c> and scales the
/// others by 1/(1 − rate), so the expected sum is unchanged; at inference (Predict, Evaluate, a layer called on
/// its own) it returns its input. Input and output (batch, …), same shape; masks pass through.
/// </summary>
/// <remarks>
/// Masks are drawn from the layer's <see cref="Layer.RandomSource"/>: the model's generator (made from its seed), or
/// the layer's own when <c>seed</c> is given, so a seeded run repeats exactly. Keras also accepts rate 1; here
/// the rate must be below 1 (a layer that drops everything has no use and no finite scale).
/// </remarks>
public sealed class Dropout : Layer
{
    private readonly long[]? _noiseShape;
    private readonly Generator? _ownGenerator;

    /// <param name="rate">Fraction of the input elements to drop while training, in [0, 1).</param>
    /// <param name="noiseShape">Shape of the dropout mask with the batch axis, broadcast over the input: e.g.
    /// (−1, 1, features) drops the same features at every time step of a (batch, time, features) input. −1 takes the
    /// input's size; other sizes must equal the input's or be 1. Default null: the input's shape.</param>
    /// <param name="seed">Seed of a generator of the layer's own. Default null: the model's random source.</param>
    /// <param name="name">Layer name. Default: given by the model (<c>dropout</c>, …).</param>
    /// <exception cref="ArgumentException"><paramref name="rate"/> is outside [0, 1), or <paramref name="noiseShape"/> has a size below −1 or of 0.</exception>
    public Dropout(double rate, long[]? noiseShape = null, int? seed = null, string? name = null) : base(name, null)
    {
        if (!(rate >= 0 && rate < 1))
        {
            throw new ArgumentException(
                $"Invalid value received for argument rate. Expected a float value between 0 (included) and 1 (excluded); received rate={rate}.",
                nameof(rate));
        }
        if (noiseShape is not null && (noiseShape.Length == 0 || noiseShape.Any(d => d == 0 || d < -1)))
        {
            throw new ArgumentException(
                $"noiseShape needs positive sizes (−1 for the input's size), batch axis included; received {Shapes.Format(noiseShape)}.",
                nameof(noiseShape));
        }
        Rate = rate;
        _noiseShape = noiseShape?.ToArray();
        Seed = seed;
        if (seed is { } s)
        {
            _ownGenerator = new Generator((ulong)s);
            base.SetRandomSource(_ownGenerator);
        }
    }

    /// <summary>Fraction of the elements dropped while training.</summary>
    public double Rate { get; }

    /// <summary>Mask shape with the batch axis (−1: the input's size), or null for the input's shape.</summary>
    public IReadOnlyList<long>? NoiseShape => _noiseShape;

    /// <summary>Seed of the layer's own generator, or null to use the model's.</summary>
    public int? Seed { get; }

    /// <summary>Rebuilds the layer from <see cref="GetConfig"/>'s object (Keras keys).</summary>
    /// <exception cref="InvalidDataException">A key is missing or has the wrong type.</exception>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public static Dropout FromConfig(LayerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int? seed = config.Json["seed"] is null ? null : config.Int("seed");
        return new Dropout(config.Double("rate"), config.LongArray("noise_shape"), seed, config.Name);
    }

    public override JsonObject GetConfig()
    {
        var config = base.GetConfig();
        config["rate"] = Rate;
        config["noise_shape"] = _noiseShape is null ? null : new JsonArray(_noiseShape.Select(d => (JsonNode)d).ToArray());
        config["seed"] = Seed;
        return config;
    }

    protected override int? InputRank => null;

    public override IReadOnlyList<LayerWeight> Weights => [];

    // A seeded layer keeps its own generator whatever the model gives.
    internal override void SetRandomSource(Generator? generator) => base.SetRandomSource(_ownGenerator ?? generator);

    protected override void CheckInputShape(long[] inputShape)
    {
        base.CheckInputShape(inputShape);
        if (_noiseShape is not null && _noiseShape.Length != inputShape.Length + 1)
        {
            throw new ArgumentException(
                $"Layer '{Name ?? BaseName}' (Dropout) has noiseShape {Shapes.Format(_noiseShape)} of rank {_noiseShape.Length}; " +
                $"received input {Shapes.FormatBatched(inputShape)} of rank {inputShape.Length + 1}.", nameof(inputShape));
        }
    }

    protected override IReadOnlyList<long[]> OutputShapes(long[] inputShape) => [inputShape];

    protected override IReadOnlyList<(string Name, long[] Shape)> DeclaredWeights(long[] inputShape) => [];

    protected override void CreateWeights(long[] inputShape, Generator? generator)
    {
    }

    protected override IReadOnlyList<Tensor> Forward(Tensor inputs, Tensor? mask)
    {
        if (!training || Rate == 0)
        {
            return [inputs.alias()];
        }
        using var scope = NewDisposeScope();
        // Held to the end of the call: an implicit Scalar could be finalized while libtorch reads it (see Scalars).
        using var rate = Rate.ToScalar();
        using var scale = (1 / (1 - Rate)).ToScalar();
        var keep = rand(MaskShape(inputs), dtype: inputs.dtype, generator: RandomSource).ge_(rate);
        return [(inputs * keep * scale).MoveToOuterDisposeScope()];
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _ownGenerator?.Dispose();
        }
        base.Dispose(disposing);
    }

    private long[] MaskShape(Tensor inputs)
    {
        if (_noiseShape is null)
        {
            return inputs.shape;
        }
        var shape = new long[inputs.dim()];
        for (int d = 0; d < shape.Length; d++)
        {
            long size = _noiseShape[d] < 0 ? inputs.shape[d] : _noiseShape[d];
            if (size != 1 && size != inputs.shape[d])
            {
                throw new ArgumentException(
                    $"Layer '{Name}' (Dropout) has noiseShape {Shapes.Format(_noiseShape)}, which does not broadcast to input {Shapes.Format(inputs.shape)}: each size must be the input's, 1 or −1.",
                    nameof(inputs));
            }
            shape[d] = size;
        }
        return shape;
    }
}
