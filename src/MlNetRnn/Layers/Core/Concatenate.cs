using System.Text.Json.Nodes;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras <c>Concatenate</c>: joins its inputs along one axis. Every input has the same rank and the same sizes
/// except on that axis, e.g. (batch, time, 64) and (batch, time, 32) → (batch, time, 96) with the default axis −1.
/// </summary>
/// <remarks>
/// Mask: null when no input has one; otherwise each input's mask (all true for an unmasked input) is widened to
/// its input's shape, the widened masks are concatenated along the axis and reduced over the last axis with
/// logical OR, as in Keras 3. For the usual (batch, time) masks and the default axis a step is real when it is real
/// in any input (an unmasked input makes every step real). (Keras 2 reduced with AND; the two agree whenever the
/// inputs' masks agree, as a word branch and its character branch do.)
/// </remarks>
public sealed class Concatenate : Merge
{
    /// <param name="axis">Axis along which to concatenate, counted on the batched tensor (−1 is the last; 0, the
    /// batch axis, is not allowed). Default −1.</param>
    /// <param name="name">Layer name. Default: given by the model (<c>concatenate</c>, …).</param>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is 0.</exception>
    public Concatenate(int axis = -1, string? name = null) : base(name)
    {
        if (axis == 0)
        {
            throw new ArgumentException("Concatenate cannot join along the batch axis; received axis=0.", nameof(axis));
        }
        Axis = axis;
    }

    /// <summary>The axis on the batched tensor, as given (−1 is the last).</summary>
    public int Axis { get; }

    /// <summary>Rebuilds the layer from <see cref="GetConfig"/>'s object.</summary>
    /// <exception cref="InvalidDataException">A key has the wrong type.</exception>
    public static Concatenate FromConfig(LayerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int axis = config.Int("axis", -1);
        return axis == 0
            ? throw new InvalidDataException("The Concatenate config's 'axis' must not be 0 (the batch axis); received 0.")
            : new Concatenate(axis, config.Name);
    }

    public override JsonObject GetConfig()
    {
        var config = base.GetConfig();
        config["axis"] = Axis;
        return config;
    }

    protected override void CheckInputShapes(IReadOnlyList<long[]> inputShapes)
    {
        base.CheckInputShapes(inputShapes);
        int rank = inputShapes[0].Length;
        int axis = SampleAxis(rank);
        bool fits = inputShapes.All(s => s.Length == rank) &&
            Enumerable.Range(0, rank).Where(d => d != axis).All(d => inputShapes.Select(s => s[d]).Where(n => n >= 0).Distinct().Count() <= 1);
        if (!fits)
        {
            throw new ArgumentException(
                $"A Concatenate layer requires inputs with matching shapes except for the concatenation axis {Axis}; received {FormatShapes(inputShapes)}.",
                nameof(inputShapes));
        }
    }

    protected override IReadOnlyList<long[]> OutputShapes(IReadOnlyList<long[]> inputShapes)
    {
        int axis = SampleAxis(inputShapes[0].Length);
        var output = new long[inputShapes[0].Length];
        for (int d = 0; d < output.Length; d++)
        {
            var sizes = inputShapes.Select(s => s[d]).ToArray();
            output[d] = d == axis
                ? (sizes.Any(n => n < 0) ? -1 : sizes.Sum())
                : sizes.FirstOrDefault(n => n >= 0, -1);
        }
        return [output];
    }

    protected override IReadOnlyList<Tensor> Forward(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?> masks) =>
        [cat(inputs.ToArray(), SampleAxis((int)inputs[0].dim() - 1) + 1)];

    public override Tensor? ComputeMask(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?> masks)
    {
        if (masks.All(m => m is null))
        {
            return null;
        }
        using var scope = NewDisposeScope();
        var widened = inputs.Zip(masks, (input, mask) => mask switch
        {
            null => ones(input.shape, dtype: ScalarType.Bool),
            _ when mask.dim() < input.dim() => mask.to_type(ScalarType.Bool).unsqueeze(-1).expand(input.shape),
            _ => mask.to_type(ScalarType.Bool),
        }).ToArray();
        return cat(widened, SampleAxis((int)inputs[0].dim() - 1) + 1).any(-1).MoveToOuterDisposeScope();
    }

    // The axis within the per-sample shape of the given rank.
    private int SampleAxis(int sampleRank)
    {
        int batched = Axis < 0 ? Axis + sampleRank + 1 : Axis;
        if (batched < 1 || batched > sampleRank)
        {
            throw new ArgumentException(
                $"Concatenate's axis {Axis} is out of range for inputs of rank {sampleRank + 1} (batch included); expected 1 to {sampleRank} or −{sampleRank} to −1.");
        }
        return batched - 1;
    }
}
