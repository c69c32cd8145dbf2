using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MlNetRnn.Models;
using MlNetRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// A Keras layer over TorchSharp. Shapes given to and returned by layers are per sample (no batch axis);
/// −1 is a size known only at run time (e.g. a variable number of time steps). Weights are created by
/// <see cref="Build"/> once the input shape is known, and read and written in Keras layout.
/// </summary>
public abstract partial class Layer : nn.Module
{
    private long[]? _builtShape;

    /// <param name="name">Keras name; when null the model gives it a unique one, e.g. <c>simple_rnn_1</c>.</param>
    /// <param name="inputShape">Per-sample input shape, needed only for a model's first layer.</param>
    protected Layer(string? name, long[]? inputShape) : base(name ?? "layer")
    {
        Name = name;
        InputShape = inputShape?.ToArray();
    }

    /// <summary>The layer's name; set by the model when none was given.</summary>
    public string? Name { get; internal set; }

    /// <summary>The class name as Keras prints it, e.g. <c>SimpleRNN</c>.</summary>
    public virtual string TypeName => GetType().Name;

    /// <summary>The name Keras derives from the class: <c>SimpleRNN</c> → <c>simple_rnn</c>.</summary>
    public string BaseName => SnakeCase().Replace(TypeName, "_").ToLowerInvariant();

    /// <summary>The per-sample input shape given at construction, if any.</summary>
    public long[]? InputShape { get; }

    /// <summary>Whether the weights exist.</summary>
    public bool Built => _builtShape is not null;

    /// <summary>Random source for run-time randomness (dropout masks). The model that builds the layer sets it from
    /// its seed, so a seeded run repeats exactly; null uses TorchSharp's global generator.</summary>
    public Generator? RandomSource { get; private set; }

    /// <summary>Sets <see cref="RandomSource"/>; wrappers override it to pass the source on to the layers they hold.</summary>
    internal virtual void SetRandomSource(Generator? generator) => RandomSource = generator;

    /// <summary>How many tensors <see cref="Call"/> returns.</summary>
    public virtual int OutputCount => 1;

    /// <summary>Rank of the per-sample input the layer takes, or null for any rank ≥ 1.</summary>
    protected abstract int? InputRank { get; }

    /// <summary>The layer's weights in Keras order (empty before <see cref="Build"/>).</summary>
    public abstract IReadOnlyList<LayerWeight> Weights { get; }

    /// <summary>Total number of scalar weights.</summary>
    public long CountParams() => Weights.Sum(w => w.Count);

    /// <summary>Per-sample output shapes for a per-sample input shape, one per output.</summary>
    /// <exception cref="ArgumentException">The input shape does not fit this layer.</exception>
    public IReadOnlyList<long[]> ComputeOutputShapes(long[] inputShape)
    {
        CheckInputShape(inputShape);
        return OutputShapes(inputShape);
    }

    /// <summary>Creates the weights for a per-sample input shape. Does nothing if already built for that shape.</summary>
    /// <param name="inputShape">Per-sample input shape.</param>
    /// <param name="generator">Random source for the initializers; null uses TorchSharp's global one.</param>
    /// <exception cref="ArgumentException">The shape does not fit, or differs from the one the layer was built with.</exception>
    public void Build(long[] inputShape, Generator? generator)
    {
        CheckInputShape(inputShape);
        if (_builtShape is not null)
        {
            if (!ShapeFits(inputShape, _builtShape))
            {
                throw new ArgumentException(
                    $"Layer '{Name}' was built for input {Shapes.FormatBatched(_builtShape)}; received {Shapes.FormatBatched(inputShape)}.",
                    nameof(inputShape));
            }
            return;
        }
        using (no_grad())
        {
            CreateWeights(inputShape, generator);
        }
        _builtShape = inputShape.ToArray();
    }

    /// <summary>Runs the layer on a batch.</summary>
    /// <param name="inputs">Shape (batch, …per-sample input shape).</param>
    /// <param name="mask">Optional (batch, time) boolean mask: false marks padding steps.</param>
    /// <returns><see cref="OutputCount"/> tensors, each (batch, …).</returns>
    /// <exception cref="ArgumentException">The batch does not fit the built input shape.</exception>
    public IReadOnlyList<Tensor> Call(Tensor inputs, Tensor? mask = null)
    {
        var sampleShape = inputs.shape.Skip(1).ToArray();
        if (inputs.dim() == 0)
        {
            throw new ArgumentException($"Layer '{Name}' expects a batch of inputs; received a scalar.", nameof(inputs));
        }
        if (_builtShape is null)
        {
            throw new InvalidOperationException($"Layer '{Name}' has not been built; build it (or its model) first.");
        }
        if (!ShapeFits(sampleShape, _builtShape))
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects input of shape {Shapes.FormatBatched(_builtShape)}; received {Shapes.Format(inputs.shape)}.",
                nameof(inputs));
        }
        return Forward(inputs, mask);
    }

    /// <summary>Applies the layer to a symbolic tensor (Keras functional API: <c>outputs = layer(inputs)</c>).</summary>
    /// <returns>One symbolic tensor per output, e.g. [output, state] for a recurrent layer with <c>returnState</c>.</returns>
    public IReadOnlyList<SymbolicTensor> Apply(SymbolicTensor input) => SymbolicTensor.Produce(this, input);

    /// <summary>The mask that follows output 0, given the input and its mask.</summary>
    public virtual Tensor? ComputeMask(Tensor inputs, Tensor? mask) => mask;

    /// <summary>
    /// Keras <c>get_config</c>: the constructor arguments under their Keras (snake_case) names, enough to rebuild
    /// the layer without its weights. Subclasses add their own keys to the base object (<c>name</c>, and
    /// <c>input_shape</c> when one was given); each layer type also has a static <c>FromConfig(LayerConfig)</c>.
    /// </summary>
    public virtual JsonObject GetConfig()
    {
        var config = new JsonObject { ["name"] = Name };
        if (InputShape is not null)
        {
            config["input_shape"] = new JsonArray(InputShape.Select(d => (JsonNode)d).ToArray());
        }
        return config;
    }

    /// <summary>Keras-style description of the configuration, for summaries and errors.</summary>
    public override string ToString() => $"{Name ?? BaseName} ({TypeName})";

    /// <summary>Output shapes for an input shape already checked against <see cref="InputRank"/>.</summary>
    protected abstract IReadOnlyList<long[]> OutputShapes(long[] inputShape);

    /// <summary>Creates and initializes the weights (called once, under no_grad).</summary>
    protected abstract void CreateWeights(long[] inputShape, Generator? generator);

    /// <summary>The computation on a batch whose shape has been checked.</summary>
    protected abstract IReadOnlyList<Tensor> Forward(Tensor inputs, Tensor? mask);

    /// <summary>Rejects a per-sample shape of the wrong rank or with non-positive sizes.</summary>
    protected virtual void CheckInputShape(long[] inputShape)
    {
        if (InputRank is { } rank && inputShape.Length != rank)
        {
            throw new ArgumentException(
                $"Layer '{Name ?? BaseName}' ({TypeName}) expects input of rank {rank + 1} (batch included); " +
                $"received shape {Shapes.FormatBatched(inputShape)} of rank {inputShape.Length + 1}.",
                nameof(inputShape));
        }
        if (inputShape.Length == 0 || inputShape.Any(d => d == 0 || d < -1))
        {
            throw new ArgumentException(
                $"Layer '{Name ?? BaseName}' ({TypeName}) received an invalid input shape {Shapes.FormatBatched(inputShape)}.",
                nameof(inputShape));
        }
    }

    /// <summary>Rejects a non-positive size argument, Keras-style: says which argument and what it received.</summary>
    protected static int Positive(int value, string argumentName) => value > 0
        ? value
        : throw new ArgumentException(
            $"Received an invalid value for {argumentName}, expected a positive integer; received {argumentName}={value}.", argumentName);

    // A run-time shape fits a built shape when every known size matches (−1 matches anything).
    private static bool ShapeFits(long[] actual, long[] built) =>
        actual.Length == built.Length && actual.Zip(built).All(p => p.Second < 0 || p.First < 0 || p.First == p.Second);

    [GeneratedRegex("(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")]
    private static partial Regex SnakeCase();
}
