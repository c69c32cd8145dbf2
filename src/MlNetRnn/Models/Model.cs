using MlNetRnn.Layers;
using MlNetRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Models;

/// <summary>
/// A Keras model: a graph of layers from one <see cref="Input"/> to one or more outputs, with
/// <see cref="Compile"/>, <see cref="Fit"/>, <see cref="Predict"/> and <see cref="Evaluate"/>.
/// Build one from symbolic tensors (functional API) or use <see cref="Sequential"/>.
/// </summary>
public partial class Model : nn.Module
{
    private readonly List<Layer> _layers = [];
    private Input? _input;
    private IReadOnlyList<SymbolicTensor> _outputs = [];
    private List<SymbolicTensor.Node> _nodes = [];

    /// <summary>A functional model from <paramref name="inputs"/> to <paramref name="outputs"/>; builds every layer.</summary>
    /// <param name="inputs">The graph's input.</param>
    /// <param name="outputs">The tensors the model returns, in order.</param>
    /// <param name="name">Model name. Default <c>functional</c>.</param>
    /// <param name="seed">Seed for initial weights and shuffling. Default: the global generator (see <see cref="Utils.SetRandomSeed"/>).</param>
    /// <exception cref="ArgumentException">An output does not depend on <paramref name="inputs"/>.</exception>
    public Model(Input inputs, IReadOnlyList<SymbolicTensor> outputs, string name = "functional", int? seed = null)
        : this(name, seed)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Count == 0)
        {
            throw new ArgumentException("A model needs at least one output.", nameof(outputs));
        }
        SetGraph(inputs, outputs);
    }

    /// <summary>For subclasses that set their graph later (<see cref="Sequential"/>).</summary>
    protected Model(string name, int? seed) : base(name)
    {
        Name = name;
        Seed = seed;
    }

    /// <summary>Model name, shown by <see cref="Summary"/>.</summary>
    public string Name { get; }

    /// <summary>Seed for initial weights and shuffling; null uses the global generator.</summary>
    public int? Seed { get; }

    /// <summary>Layers in the order they run.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>Whether the graph is known and every layer has its weights.</summary>
    public bool Built => _input is not null;

    /// <summary>Per-sample input shape; null before the model is built.</summary>
    public long[]? InputShape => _input?.Shape;

    /// <summary>Per-sample output shapes; empty before the model is built.</summary>
    public IReadOnlyList<long[]> OutputShapes => _outputs.Select(o => o.Shape).ToArray();

    /// <summary>Layers are listed in this order by <see cref="Summary"/>, <see cref="GetWeights"/> and <see cref="SetWeights"/>.</summary>
    public IEnumerable<(string Path, LayerWeight Weight)> NamedWeights =>
        _layers.SelectMany(l => l.Weights.Select(w => ($"{l.Name}/{w.Name}", w)));

    /// <summary>Runs the model in inference mode over batches (Keras <c>model.predict</c>).</summary>
    /// <param name="x">Inputs, (samples, …input shape).</param>
    /// <param name="batchSize">Samples per forward pass. Default 32.</param>
    /// <returns>The output, (samples, …output shape). For a model with several outputs use <see cref="PredictOutputs"/>.</returns>
    /// <exception cref="ArgumentException">The input does not fit, or the model has several outputs.</exception>
    public Tensor Predict(Tensor x, int batchSize = 32)
    {
        if (Built && _outputs.Count != 1)
        {
            throw new ArgumentException($"Model '{Name}' has {_outputs.Count} outputs; use PredictOutputs to get them all.", nameof(x));
        }
        return PredictOutputs(x, batchSize)[0];
    }

    /// <summary>Like <see cref="Predict"/>, returning every output in order (e.g. [output, state]).</summary>
    public IReadOnlyList<Tensor> PredictOutputs(Tensor x, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (batchSize < 1) throw new ArgumentException($"batchSize must be ≥ 1; received {batchSize}.", nameof(batchSize));
        EnsureBuilt([x], nameof(x));
        CheckInputs([x], nameof(x));
        using var noGrad = no_grad();
        train(false);
        long samples = x.shape[0];
        var parts = new List<Tensor[]>();
        using (var scope = NewDisposeScope())
        {
            for (long start = 0; start < samples; start += batchSize)
            {
                long end = Math.Min(samples, start + batchSize);
                var (outputs, _) = Forward(PrepareInputs([x.narrow(0, start, end - start)]));
                parts.Add(outputs.ToArray());
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

    /// <summary>A Keras-style table of layers, output shapes and parameter counts; also written to the console.</summary>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    public string Summary()
    {
        RequireBuilt();
        var rows = new List<ModelSummary.Row>();
        if (this is not Sequential)
        {
            rows.Add(new ModelSummary.Row($"{_input!.Name} (InputLayer)", Shapes.FormatBatched(_input.Shape), 0));
        }
        foreach (var node in _nodes)
        {
            var shapes = node.Layer.ComputeOutputShapes(node.Input.Shape).Select(Shapes.FormatBatched).ToArray();
            string shape = shapes.Length == 1 ? shapes[0] : $"[{string.Join(", ", shapes)}]";
            rows.Add(new ModelSummary.Row(node.Layer.ToString(), shape, node.Layer.CountParams()));
        }
        long trainable = NamedWeights.Where(w => w.Weight.Trainable).Sum(w => w.Weight.Count);
        var text = ModelSummary.Render(Name, rows, CountParams(), trainable, ElementSize());
        Console.Write(text);
        return text;
    }

    /// <summary>Runs the graph on a batch.</summary>
    /// <param name="inputs">One batch per model input, in order, already checked and prepared.</param>
    /// <returns>The outputs and the mask that follows the first output (null without masking).</returns>
    internal (IReadOnlyList<Tensor> Outputs, Tensor? Mask) Forward(IReadOnlyList<Tensor> inputs)
    {
        var values = new Dictionary<SymbolicTensor, Tensor> { [_input!] = inputs[0] };
        var masks = new Dictionary<SymbolicTensor, Tensor?> { [_input!] = null };
        foreach (var node in _nodes)
        {
            var input = values[node.Input];
            var inputMask = masks[node.Input];
            var outputs = node.Layer.Call(input, inputMask);
            var outputMask = node.Layer.ComputeMask(input, inputMask);
            foreach (var symbolic in node.Outputs)
            {
                values[symbolic] = outputs[symbolic.OutputIndex];
                masks[symbolic] = symbolic.OutputIndex == 0 ? outputMask : null;
            }
        }
        return (_outputs.Select(o => values[o]).ToArray(), masks[_outputs[0]]);
    }

    /// <summary>Sets the graph and builds every layer in order with the model's random source.</summary>
    protected void SetGraph(Input input, IReadOnlyList<SymbolicTensor> outputs)
    {
        var nodes = new List<SymbolicTensor.Node>();
        var seen = new HashSet<SymbolicTensor.Node>();
        foreach (var output in outputs)
        {
            Collect(output, input, nodes, seen);
        }
        using var generator = Seed is { } s ? new Generator((ulong)s) : null;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layer in nodes.Select(n => n.Layer).Distinct())
        {
            layer.Name ??= UniqueName(layer.BaseName, names);
            if (!names.Add(layer.Name))
            {
                throw new ArgumentException($"Layer names must be unique within a model; '{layer.Name}' is used twice.", nameof(outputs));
            }
        }
        foreach (var node in nodes)
        {
            node.Layer.Build(node.Input.Shape, generator);
        }
        foreach (var layer in nodes.Select(n => n.Layer).Distinct().Where(l => !_layers.Contains(l)))
        {
            _layers.Add(layer);
            register_module(layer.Name!, layer);
        }
        _input = input;
        _outputs = outputs.ToArray();
        _nodes = nodes;
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
    }

    private static void Collect(SymbolicTensor t, Input input, List<SymbolicTensor.Node> nodes, HashSet<SymbolicTensor.Node> seen)
    {
        if (t.Producer is null)
        {
            if (!ReferenceEquals(t, input))
            {
                throw new ArgumentException($"Output {t} does not come from the model's input.", "outputs");
            }
            return;
        }
        if (seen.Contains(t.Producer)) return;
        Collect(t.Producer.Input, input, nodes, seen);
        seen.Add(t.Producer);
        nodes.Add(t.Producer);
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
        if (!Built)
        {
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
    }

    /// <summary>Checks each batch against the model's inputs.</summary>
    internal void CheckInputs(IReadOnlyList<Tensor> inputs, string parameterName)
    {
        var x = inputs[0];
        var expected = _input!.Shape;
        bool fits = x.dim() == expected.Length + 1 && x.shape.Skip(1).Zip(expected).All(p => p.Second < 0 || p.First == p.Second);
        if (!fits)
        {
            throw new ArgumentException(
                $"Model '{Name}' expects input of shape {Shapes.FormatBatched(expected)}; received {Shapes.Format(x.shape)}.", parameterName);
        }
    }

    // Floating inputs take the weights' dtype, so a float64 batch works with a float32 model.
    internal IReadOnlyList<Tensor> PrepareInputs(IReadOnlyList<Tensor> inputs)
    {
        var dtype = NamedWeights.Select(w => w.Weight.Variable.dtype).FirstOrDefault(get_default_dtype());
        return inputs.Select(x => x.is_floating_point() && x.dtype != dtype ? x.to_type(dtype) : x).ToArray();
    }

    private int ElementSize() => (int)NamedWeights.Select(w => w.Weight.Variable.ElementSize).FirstOrDefault(4);

}
