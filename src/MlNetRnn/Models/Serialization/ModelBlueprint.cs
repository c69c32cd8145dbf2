using System.Text.Json.Nodes;
using MlNetRnn.Layers;
using static TorchSharp.torch;

namespace MlNetRnn.Models.Serialization;

/// <summary>
/// A model config read and checked, before any weight exists: the layers (constructed, not built), the input shapes
/// of each layer's calls, and how to build the model. Lets a reader compare the weight sizes the config implies with
/// what a file holds (<see cref="Layer.WeightShapes"/>) before <see cref="Build"/> allocates them.
/// </summary>
internal sealed class ModelBlueprint : IDisposable
{
    private readonly Func<int?, Model> _build;
    private bool _built;

    /// <param name="dtype">The weights' dtype from the config; null builds in torch's default dtype.</param>
    /// <param name="layers">Every layer, in the order the config lists them.</param>
    /// <param name="build">Builds the model (allocating the weights) from a seed.</param>
    public ModelBlueprint(ScalarType? dtype, IReadOnlyList<PlannedLayer> layers, Func<int?, Model> build)
    {
        DType = dtype;
        Layers = layers;
        _build = build;
    }

    /// <summary>A layer of the config (constructed, not built) and the per-sample input shapes of each of its calls
    /// (none for a Sequential without an input shape).</summary>
    public sealed record PlannedLayer(Layer Layer, IReadOnlyList<IReadOnlyList<long[]>> Calls);

    /// <summary>The weights' dtype the config gives, if any.</summary>
    public ScalarType? DType { get; }

    public IReadOnlyList<PlannedLayer> Layers { get; }

    /// <summary>How many weight values the layer's config implies (<see cref="Layer.WeightShapes"/>, asked of the
    /// unbuilt layer): the most any of its calls implies (a shared layer is built once, for one of them); 0 before it
    /// is called. Saturates at <see cref="long.MaxValue"/>.</summary>
    public static long ImpliedValues(PlannedLayer layer)
    {
        long most = 0;
        foreach (var inputShapes in layer.Calls)
        {
            most = Math.Max(most, WeightShapes.Count(layer.Layer.WeightShapes(inputShapes).Select(w => w.Shape)));
        }
        return most;
    }

    /// <summary>Builds the model with fresh weights, in <see cref="DType"/> when given (torch's default dtype is set
    /// for the duration: this is not safe alongside other threads creating tensors).</summary>
    /// <exception cref="InvalidDataException">The layers do not fit together.</exception>
    public Model Build(int? seed)
    {
        var previous = get_default_dtype();
        if (DType is { } dtype) set_default_dtype(dtype);
        try
        {
            var model = _build(seed);
            _built = true;
            return model;
        }
        catch (ArgumentException e)
        {
            throw ModelConfig.Invalid(e);
        }
        finally
        {
            set_default_dtype(previous);
        }
    }

    /// <summary>Disposes the layers unless a model was built from them (the model owns them then).</summary>
    public void Dispose()
    {
        if (_built) return;
        foreach (var planned in Layers) planned.Layer.Dispose();
    }
}
