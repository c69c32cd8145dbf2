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
/// <see cref="Build(long[], Generator?)"/> once the input shape is known, and read and written in Keras layout.
/// Most layers take one input; a layer with several (<see cref="Concatenate"/>) takes a list of shapes, tensors and
/// masks through the <see cref="IReadOnlyList{T}"/> overloads, which single-input layers need not know about.
/// </summary>
public abstract partial class Layer : nn.Module
{
    private long[][]? _builtShapes;

    /// <param name="name">Keras name; when null the model gives it a unique one, e.g. <c>simple_rnn_1</c>.</param>
    /// <param name="inputShape">Per-sample input shape, needed only for a model's first layer.</param>
    protected Layer(string? name, long[]? inputShape) : base(name ?? "layer")
    {
        Name = name;
        InputShape = inputShape?.ToArray();
        // A layer called on its own runs in inference mode, as a Keras layer called outside fit; models switch it.
        train(false);
    }

    /// <summary>The layer's name; set by the model when none was given.</summary>
    public string? Name { get; internal set; }

    /// <summary>The class name as Keras prints it, e.g. <c>SimpleRNN</c>.</summary>
    public virtual string TypeName => GetType().Name;

    /// <summary>The name Keras derives from the class: <c>SimpleRNN</c> → <c>simple_rnn</c>, <c>Conv1D</c> → <c>conv1d</c>.</summary>
    public string BaseName => SnakeCase().Replace(TypeName, "_").ToLowerInvariant();

    /// <summary>The per-sample input shape given at construction, if any.</summary>
    public long[]? InputShape { get; }

    /// <summary>Whether the weights exist.</summary>
    public bool Built => _builtShapes is not null;

    /// <summary>Random source for run-time randomness (dropout masks). The model that builds the layer sets it from
    /// its seed, so a seeded run repeats exactly; null uses TorchSharp's global generator.</summary>
    public Generator? RandomSource { get; private set; }

    /// <summary>Sets <see cref="RandomSource"/>; wrappers override it to pass the source on to the layers they hold.</summary>
    internal virtual void SetRandomSource(Generator? generator) => RandomSource = generator;

    /// <summary>How many tensors <see cref="Call(Tensor, Tensor?)"/> returns.</summary>
    public virtual int OutputCount => 1;

    /// <summary>Rank of the per-sample input the layer takes, or null for any rank ≥ 1.</summary>
    protected abstract int? InputRank { get; }

    /// <summary>The layer's weights in Keras order (empty before <see cref="Build(long[], Generator?)"/>).</summary>
    public abstract IReadOnlyList<LayerWeight> Weights { get; }

    /// <summary>Total number of scalar weights.</summary>
    public long CountParams() => Weights.Sum(w => w.Count);

    /// <summary>Per-sample output shapes for a per-sample input shape, one per output.</summary>
    /// <exception cref="ArgumentException">The input shape does not fit this layer.</exception>
    public IReadOnlyList<long[]> ComputeOutputShapes(long[] inputShape) => ComputeOutputShapes([inputShape]);

    /// <summary>Per-sample output shapes for the per-sample shapes of the layer's inputs (one for most layers,
    /// several for a layer such as <see cref="Concatenate"/>), one per output.</summary>
    /// <exception cref="ArgumentException">The number of inputs or a shape does not fit this layer.</exception>
    public IReadOnlyList<long[]> ComputeOutputShapes(IReadOnlyList<long[]> inputShapes)
    {
        ArgumentNullException.ThrowIfNull(inputShapes);
        CheckInputShapes(inputShapes);
        return OutputShapes(inputShapes);
    }

    /// <summary>Creates the weights for a per-sample input shape. Does nothing if already built for that shape.</summary>
    /// <param name="inputShape">Per-sample input shape.</param>
    /// <param name="generator">Random source for the initializers; null uses TorchSharp's global one.</param>
    /// <exception cref="ArgumentException">The shape does not fit, or differs from the one the layer was built with.</exception>
    public void Build(long[] inputShape, Generator? generator) => Build([inputShape], generator);

    /// <summary>Creates the weights for the per-sample shapes of the layer's inputs. Does nothing if already built
    /// for those shapes. The weights belong to the layer, never to a caller's dispose scope: they live until the
    /// layer (or its model) is disposed.</summary>
    /// <param name="inputShapes">One per-sample shape per input.</param>
    /// <param name="generator">Random source for the initializers; null uses TorchSharp's global one.</param>
    /// <exception cref="ArgumentException">A shape does not fit, or differs from the one the layer was built with.</exception>
    public void Build(IReadOnlyList<long[]> inputShapes, Generator? generator)
    {
        ArgumentNullException.ThrowIfNull(inputShapes);
        CheckInputShapes(inputShapes);
        if (_builtShapes is not null)
        {
            if (inputShapes.Count != _builtShapes.Length || inputShapes.Zip(_builtShapes).Any(p => !ShapeFits(p.First, p.Second)))
            {
                throw new ArgumentException(
                    $"Layer '{Name}' was built for input {FormatShapes(_builtShapes)}; received {FormatShapes(inputShapes)}.",
                    nameof(inputShapes));
            }
            return;
        }
        using (no_grad())
        using (NewDisposeScope())
        {
            CreateWeights(inputShapes, generator);
            // Whatever scope the caller has open (Fit's checks, a user's), the weights outlive it.
            foreach (var tensor in parameters().Concat(buffers()).Concat(Weights.Select(w => w.Variable)))
            {
                tensor.DetachFromDisposeScope();
            }
        }
        _builtShapes = inputShapes.Select(s => s.ToArray()).ToArray();
        CheckWeightsAsDeclared(inputShapes);
    }

    /// <summary>The Keras names and shapes (Keras layout) of the weights <see cref="Build(IReadOnlyList{long[]}, Generator?)"/>
    /// creates for these per-sample input shapes, in <see cref="Weights"/> order, e.g. <c>kernel</c> (features, units)
    /// then <c>bias</c> (units) for a <see cref="Dense"/>. Computed from the configuration alone: nothing is allocated,
    /// so a model file's sizes can be checked before any layer is built. Build checks that it creates exactly these.</summary>
    /// <param name="inputShapes">One per-sample shape per input.</param>
    /// <exception cref="ArgumentException">The number of inputs or a shape does not fit this layer.</exception>
    public IReadOnlyList<(string Name, long[] Shape)> WeightShapes(IReadOnlyList<long[]> inputShapes)
    {
        ArgumentNullException.ThrowIfNull(inputShapes);
        CheckInputShapes(inputShapes);
        return DeclaredWeights(inputShapes);
    }

    /// <summary>Runs the layer on a batch.</summary>
    /// <param name="inputs">Shape (batch, …per-sample input shape).</param>
    /// <param name="mask">Optional boolean mask, (batch, time) or, under <see cref="TimeDistributed"/>, (batch, time, inner
    /// steps): false marks padding. Default none.</param>
    /// <returns><see cref="OutputCount"/> tensors, each (batch, …).</returns>
    /// <exception cref="ArgumentException">The batch does not fit the built input shape.</exception>
    public IReadOnlyList<Tensor> Call(Tensor inputs, Tensor? mask = null) => Call([inputs], [mask]);

    /// <summary>Runs the layer on one batch per input (several for a layer such as <see cref="Concatenate"/>).</summary>
    /// <param name="inputs">One tensor per input, each (batch, …per-sample input shape).</param>
    /// <param name="masks">One optional boolean mask per input (false marks padding), or null for none. Default null.</param>
    /// <returns><see cref="OutputCount"/> tensors, each (batch, …).</returns>
    /// <exception cref="ArgumentException">The number of inputs or a batch does not fit the built input shapes.</exception>
    public IReadOnlyList<Tensor> Call(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?>? masks = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (_builtShapes is null)
        {
            throw new InvalidOperationException($"Layer '{Name}' has not been built; build it (or its model) first.");
        }
        if (inputs.Count != _builtShapes.Length)
        {
            throw new ArgumentException(
                $"Layer '{Name}' expects {_builtShapes.Length} input(s); received {inputs.Count}.", nameof(inputs));
        }
        if (masks is not null && masks.Count != inputs.Count)
        {
            throw new ArgumentException(
                $"Layer '{Name}' received {inputs.Count} input(s) and {masks.Count} mask(s); expected one mask (or null) per input.", nameof(masks));
        }
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].dim() == 0)
            {
                throw new ArgumentException($"Layer '{Name}' expects a batch of inputs; received a scalar.", nameof(inputs));
            }
            if (!ShapeFits(inputs[i].shape[1..], _builtShapes[i]))
            {
                throw new ArgumentException(
                    $"Layer '{Name}' expects input of shape {Shapes.FormatBatched(_builtShapes[i])}; received {Shapes.Format(inputs[i].shape)}.",
                    nameof(inputs));
            }
        }
        return Forward(inputs, masks ?? new Tensor?[inputs.Count]);
    }

    /// <summary>Applies the layer to symbolic tensors (Keras functional API: <c>outputs = layer(inputs)</c>): one for
    /// most layers, several for a layer such as <see cref="Concatenate"/>.</summary>
    /// <returns>One symbolic tensor per output, e.g. [output, state] for a recurrent layer with <c>returnState</c>.</returns>
    /// <exception cref="ArgumentException">The inputs do not fit this layer.</exception>
    public IReadOnlyList<SymbolicTensor> Apply(params SymbolicTensor[] inputs) => SymbolicTensor.Produce(this, inputs);

    /// <summary>The mask that follows output 0, given the input and its mask. Default: the input mask, unchanged.</summary>
    public virtual Tensor? ComputeMask(Tensor inputs, Tensor? mask) => mask;

    /// <summary>The mask that follows output 0, given every input and its mask (null entries for unmasked inputs).
    /// Single-input layers override <see cref="ComputeMask(Tensor, Tensor?)"/> instead.</summary>
    public virtual Tensor? ComputeMask(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?> masks) => ComputeMask(inputs[0], masks[0]);

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

    /// <summary>Output shapes for input shapes already checked by <see cref="CheckInputShapes"/>. Default: the
    /// single-input <see cref="OutputShapes(long[])"/>; layers with several inputs override this.</summary>
    protected virtual IReadOnlyList<long[]> OutputShapes(IReadOnlyList<long[]> inputShapes) => OutputShapes(inputShapes[0]);

    /// <summary>Creates and initializes the weights (called once, under no_grad, inside a dispose scope of its
    /// own). Every parameter and buffer registered on the module and every <see cref="LayerWeight"/>'s variable
    /// is kept; any other tensor made here is freed when <see cref="Build(IReadOnlyList{long[]}, Generator?)"/>
    /// returns, so a tensor that must outlive it is registered as a parameter or buffer.</summary>
    protected abstract void CreateWeights(long[] inputShape, Generator? generator);

    /// <summary>Creates the weights for input shapes already checked. Default: the single-input
    /// <see cref="CreateWeights(long[], Generator?)"/>; layers with several inputs override this.</summary>
    protected virtual void CreateWeights(IReadOnlyList<long[]> inputShapes, Generator? generator) => CreateWeights(inputShapes[0], generator);

    /// <summary>The Keras names and shapes of the weights <see cref="CreateWeights(long[], Generator?)"/> creates for an
    /// input shape already checked, without allocating (sizes from a crafted config may be enormous).</summary>
    protected abstract IReadOnlyList<(string Name, long[] Shape)> DeclaredWeights(long[] inputShape);

    /// <summary>The weights' names and shapes for input shapes already checked. Default: the single-input
    /// <see cref="DeclaredWeights(long[])"/>; layers with several inputs override this.</summary>
    protected virtual IReadOnlyList<(string Name, long[] Shape)> DeclaredWeights(IReadOnlyList<long[]> inputShapes) => DeclaredWeights(inputShapes[0]);

    /// <summary>The computation on a batch whose shape has been checked.</summary>
    protected abstract IReadOnlyList<Tensor> Forward(Tensor inputs, Tensor? mask);

    /// <summary>The computation on batches whose shapes have been checked, with one mask (or null) per input.
    /// Default: the single-input <see cref="Forward(Tensor, Tensor?)"/>; layers with several inputs override this.</summary>
    protected virtual IReadOnlyList<Tensor> Forward(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?> masks) => Forward(inputs[0], masks[0]);

    /// <summary>Rejects a wrong number of inputs or a shape that does not fit. Default: exactly one input, checked
    /// by <see cref="CheckInputShape"/>; layers with several inputs override this.</summary>
    protected virtual void CheckInputShapes(IReadOnlyList<long[]> inputShapes)
    {
        if (inputShapes.Count != 1)
        {
            throw new ArgumentException(
                $"Layer '{Name ?? BaseName}' ({TypeName}) takes one input; received {inputShapes.Count}: {FormatShapes(inputShapes)}.",
                nameof(inputShapes));
        }
        CheckInputShape(inputShapes[0]);
    }

    /// <summary>Rejects a per-sample shape of the wrong rank or with non-positive sizes.</summary>
    protected virtual void CheckInputShape(long[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
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

    /// <summary>Formats several per-sample shapes, e.g. <c>[(None, 5), (None, 5, 8)]</c>; one shape prints alone.</summary>
    protected static string FormatShapes(IReadOnlyList<long[]> shapes) =>
        shapes.Count == 1 ? Shapes.FormatBatched(shapes[0]) : $"[{string.Join(", ", shapes.Select(Shapes.FormatBatched))}]";

    /// <summary>Rejects a non-positive size argument, Keras-style: says which argument and what it received.</summary>
    protected static int Positive(int value, string argumentName) => value > 0
        ? value
        : throw new ArgumentException(
            $"Received an invalid value for {argumentName}, expected a positive integer; received {argumentName}={value}.", argumentName);

    // WeightShapes is what a model file is checked against before building: a layer whose declared weights differ
    // from the ones it built is a bug in that layer, caught on its first build.
    private void CheckWeightsAsDeclared(IReadOnlyList<long[]> inputShapes)
    {
        static string Describe(IEnumerable<(string Name, long[] Shape)> weights) =>
            string.Join(", ", weights.Select(w => $"{w.Name} {Shapes.Format(w.Shape)}"));
        var built = Describe(Weights.Select(w => (w.Name, w.Shape)));
        var declared = Describe(DeclaredWeights(inputShapes));
        if (built != declared)
        {
            throw new InvalidOperationException(
                $"Layer '{Name ?? BaseName}' ({TypeName}) built weights [{built}] for input {FormatShapes(inputShapes)}, but declares [{declared}].");
        }
    }

    // A run-time shape fits a built shape when every known size matches (−1 matches anything).
    private static bool ShapeFits(long[] actual, long[] built) =>
        actual.Length == built.Length && actual.Zip(built).All(p => p.Second < 0 || p.First < 0 || p.First == p.Second);

    // Keras's to_snake_case: a word boundary before a capital that starts a lower-case run, and between a lower-case
    // letter and a capital (digits join the word before them: Conv1D → conv1d).
    [GeneratedRegex("(?<=.)(?=[A-Z][a-z])|(?<=[a-z])(?=[A-Z])")]
    private static partial Regex SnakeCase();
}
