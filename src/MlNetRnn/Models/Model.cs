using MlNetRnn.Layers;
using MlNetRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Models;

/// <summary>
/// A Keras model: a graph of layers from one or more <see cref="Input"/>s to one or more outputs, with
/// <see cref="Compile"/>, <c>Fit</c>, <see cref="Predict(Tensor, int)"/> and <see cref="Evaluate"/>.
/// Build one from symbolic tensors (functional API) or use <see cref="Sequential"/>.
/// </summary>
/// <remarks>The model owns one random generator made from its <see cref="Seed"/> for its whole life: it draws the
/// initial weights and every layer's run-time randomness (dropout masks), so a seeded run repeats exactly.</remarks>
public partial class Model : nn.Module
{
    private readonly List<Layer> _layers = [];
    private readonly Generator? _generator;
    private FunctionalGraph? _graph;
    // The first input and the outputs (the training code reads these).
    private Input? _input;
    private IReadOnlyList<SymbolicTensor> _outputs = [];

    /// <summary>A functional model from one input to <paramref name="outputs"/>; builds every layer.</summary>
    /// <param name="inputs">The graph's input.</param>
    /// <param name="outputs">The tensors the model returns, in order.</param>
    /// <param name="name">Model name. Default <c>functional</c>.</param>
    /// <param name="seed">Seed for initial weights, dropout and shuffling. Default: the global generator (see <see cref="Utils.SetRandomSeed"/>).</param>
    /// <exception cref="ArgumentException">No output, or an output does not depend on <paramref name="inputs"/>.</exception>
    public Model(Input inputs, IReadOnlyList<SymbolicTensor> outputs, string name = "functional", int? seed = null)
        : this([inputs ?? throw new ArgumentNullException(nameof(inputs))], outputs, name, seed)
    {
    }

    /// <summary>A functional model from several inputs (e.g. word ids and character ids) to <paramref name="outputs"/>;
    /// builds every layer. <see cref="Predict(IReadOnlyList{Tensor}, int)"/> then takes one batch per input, in this order.</summary>
    /// <param name="inputs">The graph's inputs, in the order their batches are given.</param>
    /// <param name="outputs">The tensors the model returns, in order.</param>
    /// <param name="name">Model name. Default <c>functional</c>.</param>
    /// <param name="seed">Seed for initial weights, dropout and shuffling. Default: the global generator.</param>
    /// <exception cref="ArgumentException">No input or output, an input given twice, or an output that does not depend only on <paramref name="inputs"/>.</exception>
    public Model(IReadOnlyList<Input> inputs, IReadOnlyList<SymbolicTensor> outputs, string name = "functional", int? seed = null)
        : this(name, seed)
    {
        SetGraph(inputs, outputs);
    }

    /// <summary>For subclasses that set their graph later (<see cref="Sequential"/>).</summary>
    protected Model(string name, int? seed) : base(name)
    {
        Name = name;
        Seed = seed;
        _generator = seed is { } s ? new Generator((ulong)s) : null;
    }

    /// <summary>Model name, shown by <see cref="Summary"/>.</summary>
    public string Name { get; }

    /// <summary>Seed for initial weights, dropout and shuffling; null uses the global generator.</summary>
    public int? Seed { get; }

    /// <summary>Layers in the order they run.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>Whether the graph is known and every layer has its weights.</summary>
    public bool Built => _graph is not null;

    /// <summary>The model's inputs, in the order their batches are given; empty before the model is built.</summary>
    public IReadOnlyList<Input> Inputs => _graph?.Inputs ?? [];

    /// <summary>Per-sample shape of the (first) input; null before the model is built.</summary>
    public long[]? InputShape => _input?.Shape;

    /// <summary>Per-sample shapes of the inputs, in order; empty before the model is built.</summary>
    public IReadOnlyList<long[]> InputShapes => Inputs.Select(i => i.Shape).ToArray();

    /// <summary>Per-sample output shapes; empty before the model is built.</summary>
    public IReadOnlyList<long[]> OutputShapes => _outputs.Select(o => o.Shape).ToArray();

    /// <summary>Layers are listed in this order by <see cref="Summary"/>, <see cref="GetWeights"/> and <see cref="SetWeights"/>.</summary>
    public IEnumerable<(string Path, LayerWeight Weight)> NamedWeights =>
        _layers.SelectMany(l => l.Weights.Select(w => ($"{l.Name}/{w.Name}", w)));

    /// <summary>libtorch intra-op threads for this model's training steps and inference batches, on the calling
    /// thread; null (the default) chooses per batch with <see cref="ThreadPolicy.Automatic"/>: one thread for small
    /// steps, every available thread for large ones, and independent inference batches at once (see
    /// <see cref="ThreadPolicy"/>); a fixed count runs them one at a time. Not part of Keras; a run-time setting, not
    /// saved.</summary>
    /// <exception cref="ArgumentException">Set below 1.</exception>
    public int? IntraOpThreads
    {
        get => _intraOpThreads;
        set
        {
            if (value is < 1) throw new ArgumentException($"IntraOpThreads must be ≥ 1 or null (automatic); received {value}.", nameof(value));
            _intraOpThreads = value;
        }
    }

    private int? _intraOpThreads;
    // Weights outside embeddings, counted once built (−1 before); a long is written atomically, so concurrent
    // inference callers at worst count twice.
    private long _multipliedWeights = -1;

    /// <summary>Threads for a step or batch on <paramref name="inputs"/> (see <see cref="IntraOpThreads"/>).</summary>
    internal int ThreadsFor(IReadOnlyList<Tensor> inputs)
    {
        if (_intraOpThreads is { } fixedCount) return fixedCount;
        // Embedding tables are looked up, not multiplied: every other weight costs about one multiply-add per token.
        if (_multipliedWeights < 0 && Built) _multipliedWeights = _layers.Where(l => l is not Embedding).SelectMany(l => l.Weights).Sum(w => w.Count);
        return ThreadPolicy.Automatic(Math.Max(0, _multipliedWeights) * ThreadPolicy.Tokens(inputs[0]), ThreadPolicy.Available);
    }

    /// <summary>Runs the model in inference mode over batches (Keras <c>model.predict</c>).</summary>
    /// <param name="x">Inputs, (samples, …input shape).</param>
    /// <param name="batchSize">Samples per forward pass. Default 32.</param>
    /// <returns>The output, (samples, …output shape). For a model with several outputs use <see cref="PredictOutputs(Tensor, int)"/>.</returns>
    /// <exception cref="ArgumentException">The input does not fit, or the model has several inputs or outputs.</exception>
    public Tensor Predict(Tensor x, int batchSize = 32) => Predict([x], batchSize);

    /// <summary>Runs a model with several inputs in inference mode over batches (Keras <c>model.predict([a, b])</c>).</summary>
    /// <param name="x">One tensor per input, in the order of <see cref="Inputs"/>, each (samples, …that input's shape);
    /// integer ids stay integer.</param>
    /// <param name="batchSize">Samples per forward pass. Default 32.</param>
    /// <returns>The output, (samples, …output shape).</returns>
    /// <exception cref="ArgumentException">The inputs do not fit, or the model has several outputs.</exception>
    public Tensor Predict(IReadOnlyList<Tensor> x, int batchSize = 32)
    {
        if (Built && _outputs.Count != 1)
        {
            throw new ArgumentException($"Model '{Name}' has {_outputs.Count} outputs; use PredictOutputs to get them all.", nameof(x));
        }
        return PredictOutputs(x, batchSize)[0];
    }

    /// <summary>Like <see cref="Predict(Tensor, int)"/>, returning every output in order (e.g. [output, state]).</summary>
    public IReadOnlyList<Tensor> PredictOutputs(Tensor x, int batchSize = 32) => PredictOutputs([x], batchSize);

    /// <summary>Like <see cref="Predict(IReadOnlyList{Tensor}, int)"/>, returning every output in order.</summary>
    public IReadOnlyList<Tensor> PredictOutputs(IReadOnlyList<Tensor> x, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Any(t => t is null)) throw new ArgumentNullException(nameof(x), "An input tensor is null.");
        if (batchSize < 1) throw new ArgumentException($"batchSize must be ≥ 1; received {batchSize}.", nameof(batchSize));
        EnsureBuilt(x, nameof(x));
        CheckInputs(x, nameof(x));
        train(false);
        long samples = x[0].shape[0];
        var parts = new List<IReadOnlyList<Tensor>>();
        using (var scope = NewDisposeScope())
        {
            for (long start = 0; start < samples; start += batchSize)
            {
                long end = Math.Min(samples, start + batchSize);
                parts.Add(Infer(x.Select(t => t.narrow(0, start, end - start)).ToArray()));
            }
            var results = Enumerable.Range(0, _outputs.Count)
                .Select(i => parts.Count == 1 ? parts[0][i].alias() : cat(parts.Select(p => p[i]).ToArray(), 0))
                .ToArray();
            foreach (var r in results) r.MoveToOuterDisposeScope();
            return results;
        }
    }

    /// <summary>Every weight in Keras order and layout (layer by layer: kernel, recurrent_kernel, bias, …), as copies.</summary>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    public IReadOnlyList<Tensor> GetWeights()
    {
        RequireBuilt();
        return NamedWeights.Select(w => w.Weight.Read()).ToArray();
    }

    /// <summary>Overwrites every weight, in the order and layout of <see cref="GetWeights"/>.</summary>
    /// <exception cref="ArgumentException">Wrong count or a wrong shape; nothing is changed then.</exception>
    public void SetWeights(IReadOnlyList<Tensor> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        RequireBuilt();
        var named = NamedWeights.ToArray();
        if (weights.Count != named.Length)
        {
            throw new ArgumentException(
                $"Model '{Name}' expects {named.Length} weights ({string.Join(", ", named.Select(n => $"{n.Path} {Shapes.Format(n.Weight.Shape)}"))}); received {weights.Count}.",
                nameof(weights));
        }
        for (int i = 0; i < named.Length; i++)
        {
            if (!weights[i].shape.SequenceEqual(named[i].Weight.Shape))
            {
                throw new ArgumentException(
                    $"Weight {i} ('{named[i].Path}') must have shape {Shapes.Format(named[i].Weight.Shape)}; received {Shapes.Format(weights[i].shape)}.",
                    nameof(weights));
            }
        }
        for (int i = 0; i < named.Length; i++)
        {
            named[i].Weight.Assign(weights[i].to_type(named[i].Weight.Variable.dtype), named[i].Path);
        }
    }

    /// <summary>Total scalar weights.</summary>
    public long CountParams() => _layers.Sum(l => l.CountParams());

    /// <summary>A Keras-style table of layers, output shapes and parameter counts (print it yourself). A functional
    /// model that is not a plain chain also gets Keras's "Connected to" column.</summary>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    public string Summary()
    {
        RequireBuilt();
        var graph = _graph!;
        bool connections = this is not Sequential && !graph.IsChain;
        var rows = new List<ModelSummary.Row>();
        if (this is not Sequential)
        {
            rows.AddRange(graph.Inputs.Select(input => new ModelSummary.Row(
                $"{input.Name} (InputLayer)", Shapes.FormatBatched(input.Shape), 0, connections ? ["-"] : null)));
        }
        foreach (var node in graph.Nodes)
        {
            var shapes = node.Outputs.Select(o => Shapes.FormatBatched(o.Shape)).ToArray();
            string shape = shapes.Length == 1 ? shapes[0] : $"[{string.Join(", ", shapes)}]";
            rows.Add(new ModelSummary.Row(node.Layer.ToString(), shape, node.Layer.CountParams(),
                connections ? graph.ConnectionsOf(node).ToArray() : null));
        }
        long trainable = NamedWeights.Where(w => w.Weight.Trainable).Sum(w => w.Weight.Count);
        return ModelSummary.Render(Name, rows, CountParams(), trainable, ElementSize());
    }

    /// <summary>Runs the graph on a batch.</summary>
    /// <param name="inputs">One batch per model input, in order, already checked and prepared.</param>
    /// <returns>The outputs and the mask that follows the first output (null without masking).</returns>
    internal (IReadOnlyList<Tensor> Outputs, Tensor? Mask) Forward(IReadOnlyList<Tensor> inputs) => _graph!.Forward(inputs);

    /// <summary>Sets the graph, names its inputs and layers uniquely, gives every layer the model's random source and
    /// builds it.</summary>
    /// <exception cref="ArgumentException">The graph is not valid, two layers share a name, or a layer does not fit its inputs.</exception>
    protected void SetGraph(IReadOnlyList<Input> inputs, IReadOnlyList<SymbolicTensor> outputs)
    {
        var graph = new FunctionalGraph(inputs, outputs);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in graph.Inputs.Where(i => i.GivenName is not null))
        {
            if (!names.Add(input.Name))
            {
                throw new ArgumentException($"Input names must be unique within a model; '{input.Name}' is used twice.", nameof(inputs));
            }
        }
        foreach (var input in graph.Inputs.Where(i => i.GivenName is null))
        {
            input.Name = UniqueName(Input.DefaultName, names);
            names.Add(input.Name);
        }
        foreach (var layer in graph.Layers)
        {
            layer.Name ??= UniqueName(layer.BaseName, names);
            if (!names.Add(layer.Name))
            {
                throw new ArgumentException($"Layer names must be unique within a model; '{layer.Name}' is used twice.", nameof(outputs));
            }
        }
        foreach (var layer in graph.Layers)
        {
            layer.SetRandomSource(_generator);
        }
        foreach (var node in graph.Nodes)
        {
            node.Layer.Build(node.Inputs.Select(i => i.Shape).ToArray(), _generator);
        }
        foreach (var layer in graph.Layers.Where(l => !_layers.Contains(l)))
        {
            _layers.Add(layer);
            register_module(layer.Name!, layer);
        }
        _graph = graph;
        _input = graph.Inputs[0];
        _outputs = graph.Outputs;
    }

    /// <summary>Builds the graph from the first batch seen, for models declared without an input shape.</summary>
    protected virtual void BuildFrom(long[] sampleShape) =>
        throw new InvalidOperationException($"Model '{Name}' has no graph.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ReleaseTrainingState();
        }
        base.Dispose(disposing);
        if (disposing)
        {
            _generator?.Dispose();
        }
    }

    private static string UniqueName(string baseName, HashSet<string> taken)
    {
        if (!taken.Contains(baseName)) return baseName;
        for (int i = 1; ; i++)
        {
            var candidate = $"{baseName}_{i}";
            if (!taken.Contains(candidate)) return candidate;
        }
    }

    private void RequireBuilt()
    {
        if (!Built)
        {
            throw new InvalidOperationException(
                $"Model '{Name}' has not been built yet: give the first layer an inputShape, or call Fit or Predict first.");
        }
    }

    /// <summary>Builds a model declared without an input shape from its first batch.</summary>
    internal void EnsureBuilt(IReadOnlyList<Tensor> inputs, string parameterName)
    {
        if (Built)
        {
            return;
        }
        if (inputs.Count != 1)
        {
            throw new ArgumentException($"Model '{Name}' takes one input; received {inputs.Count}.", parameterName);
        }
        var x = inputs[0];
        if (x.dim() < 2)
        {
            throw new ArgumentException($"Expected a batch of inputs of rank 2 or more; received shape {Shapes.Format(x.shape)}.", parameterName);
        }
        BuildFrom(x.shape[1..]);
        if (_loss is not null && _outputs.Count != 1)
        {
            throw new ArgumentException($"Compile supports models with one output; model '{Name}' has {_outputs.Count}.", parameterName);
        }
    }

    /// <summary>Checks the batches against the model's inputs: one per input, each of the input's shape, all with
    /// the same number of samples.</summary>
    internal void CheckInputs(IReadOnlyList<Tensor> inputs, string parameterName)
    {
        var expected = _graph!.Inputs;
        if (inputs.Count != expected.Count)
        {
            throw new ArgumentException(
                $"Model '{Name}' expects {expected.Count} input(s) ({string.Join(", ", expected.Select(i => $"{i.Name} {Shapes.FormatBatched(i.Shape)}"))}); received {inputs.Count}.",
                parameterName);
        }
        for (int i = 0; i < inputs.Count; i++)
        {
            var x = inputs[i];
            var shape = expected[i].Shape;
            bool fits = x.dim() == shape.Length + 1 && x.shape.Skip(1).Zip(shape).All(p => p.Second < 0 || p.First == p.Second);
            if (!fits)
            {
                string which = expected.Count == 1 ? "" : $" for input '{expected[i].Name}'";
                throw new ArgumentException(
                    $"Model '{Name}' expects{which} shape {Shapes.FormatBatched(shape)}; received {Shapes.Format(x.shape)}.", parameterName);
            }
        }
        if (inputs.Select(x => x.shape[0]).Distinct().Count() > 1)
        {
            throw new ArgumentException(
                $"Model '{Name}' needs the same number of samples in every input; received shapes {string.Join(", ", inputs.Select(x => Shapes.Format(x.shape)))}.",
                parameterName);
        }
    }

    // Floating inputs take the weights' dtype, so a float64 batch works with a float32 model; integer ids stay integer.
    internal IReadOnlyList<Tensor> PrepareInputs(IReadOnlyList<Tensor> inputs)
    {
        var dtype = NamedWeights.Select(w => w.Weight.Variable.dtype).FirstOrDefault(get_default_dtype());
        return inputs.Select(x => x.is_floating_point() && x.dtype != dtype ? x.to_type(dtype) : x).ToArray();
    }

    private int ElementSize() => (int)NamedWeights.Select(w => w.Weight.Variable.ElementSize).FirstOrDefault(4);
}
