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
public class Model : nn.Module
{
    private readonly List<Layer> _layers = [];
    private Input? _input;
    private IReadOnlyList<SymbolicTensor> _outputs = [];
    private List<SymbolicTensor.Node> _nodes = [];
    private Loss? _loss;
    private Optimizer? _optimizer;
    private bool _optimizerBuilt;

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

    /// <summary>Sets the loss and optimizer for <see cref="Fit"/> and <see cref="Evaluate"/>. Names convert implicitly:
    /// <c>Compile(loss: "sparse_categorical_crossentropy", optimizer: "adam")</c>.</summary>
    /// <exception cref="ArgumentException">The model has more than one output (training supports one).</exception>
    public void Compile(Loss loss, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (Built && _outputs.Count != 1)
        {
            throw new ArgumentException($"Compile supports models with one output; model '{Name}' has {_outputs.Count}.", nameof(loss));
        }
        _loss = loss;
        _optimizer = optimizer;
        _optimizerBuilt = false;
    }

    /// <summary>The compiled loss; null before <see cref="Compile"/>.</summary>
    public Loss? Loss => _loss;

    /// <summary>The compiled optimizer; null before <see cref="Compile"/>.</summary>
    public Optimizer? Optimizer => _optimizer;

    /// <summary>Trains for a number of epochs over mini-batches (Keras <c>model.fit</c>).</summary>
    /// <param name="x">Inputs, (samples, …input shape).</param>
    /// <param name="y">Targets: for sparse categorical crossentropy, class indices shaped like the output without its class axis.</param>
    /// <param name="epochs">Passes over the data. Default 1.</param>
    /// <param name="batchSize">Samples per update. Default 32.</param>
    /// <param name="shuffle">Shuffle the samples before each epoch. Default true.</param>
    /// <param name="verbose">0 silent, 1 a progress bar per epoch, 2 one line per epoch. Default 1.</param>
    /// <param name="validationData">Data whose loss is reported after each epoch. Default none.</param>
    /// <param name="seed">Seed for shuffling. Default: the model's <see cref="Seed"/>, else the global generator.</param>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">The data does not fit the model.</exception>
    public History Fit(Tensor x, Tensor y, int epochs = 1, int batchSize = 32, bool shuffle = true, int verbose = 1,
        (Tensor X, Tensor Y)? validationData = null, int? seed = null)
    {
        var loss = RequireCompiled();
        if (epochs < 0) throw new ArgumentException($"epochs must be ≥ 0; received {epochs}.", nameof(epochs));
        if (batchSize < 1) throw new ArgumentException($"batchSize must be ≥ 1; received {batchSize}.", nameof(batchSize));
        if (verbose is < 0 or > 2) throw new ArgumentException($"verbose must be 0, 1 or 2; received {verbose}.", nameof(verbose));
        CheckData(x, y, loss, nameof(x), nameof(y));
        if (validationData is { } v)
        {
            CheckData(v.X, v.Y, loss, "validationData.X", "validationData.Y");
        }

        var history = new History();
        long samples = x.shape[0];
        var shuffler = new Random(seed ?? Seed ?? DrawSeed());
        var progress = new ProgressBar(Console.Out, verbose);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var order = Enumerable.Range(0, (int)samples).ToArray();
            if (shuffle)
            {
                shuffler.Shuffle(order);
            }
            int batches = (int)((samples + batchSize - 1) / batchSize);
            progress.StartEpoch(epoch, epochs, batches);
            double total = 0;
            for (int b = 0; b < batches; b++)
            {
                using var scope = NewDisposeScope();
                var rows = order.AsSpan(b * batchSize, (int)Math.Min(batchSize, samples - b * batchSize)).ToArray();
                var index = tensor(rows.Select(r => (long)r).ToArray());
                double batchLoss = TrainStep(x.index_select(0, index), y.index_select(0, index));
                total += batchLoss * rows.Length;
                progress.Batch(b + 1, total / (b * batchSize + rows.Length));
            }
            history.LossValues.Add(total / samples);
            double? validationLoss = null;
            if (validationData is { } val)
            {
                validationLoss = MeanLoss(loss, val.X, val.Y, batchSize);
                history.ValidationLossValues.Add(validationLoss.Value);
            }
            progress.EndEpoch(history.LossValues[^1], validationLoss);
        }
        return history;
    }

    /// <summary>One update on one batch (Keras <c>train_on_batch</c>).</summary>
    /// <returns>The batch's loss before the update.</returns>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">The data does not fit the model.</exception>
    public double TrainOnBatch(Tensor x, Tensor y)
    {
        var loss = RequireCompiled();
        CheckData(x, y, loss, nameof(x), nameof(y));
        using var scope = NewDisposeScope();
        return TrainStep(x, y);
    }

    /// <summary>The mean loss over the data, weighting each batch by its size (Keras <c>model.evaluate</c>).</summary>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">The data does not fit the model.</exception>
    public double Evaluate(Tensor x, Tensor y, int batchSize = 32)
    {
        var loss = RequireCompiled();
        CheckData(x, y, loss, nameof(x), nameof(y));
        if (batchSize < 1) throw new ArgumentException($"batchSize must be ≥ 1; received {batchSize}.", nameof(batchSize));
        return MeanLoss(loss, x, y, batchSize);
    }

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
        EnsureBuilt(x, nameof(x));
        CheckInput(x, nameof(x));
        using var noGrad = no_grad();
        train(false);
        long samples = x.shape[0];
        var parts = new List<Tensor[]>();
        using (var scope = NewDisposeScope())
        {
            for (long start = 0; start < samples; start += batchSize)
            {
                long end = Math.Min(samples, start + batchSize);
                var (outputs, _) = Forward(PrepareInput(x.narrow(0, start, end - start)));
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
    /// <returns>The outputs and the mask that follows the first output (null without masking).</returns>
    internal (IReadOnlyList<Tensor> Outputs, Tensor? Mask) Forward(Tensor x)
    {
        var values = new Dictionary<SymbolicTensor, Tensor> { [_input!] = x };
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
            _optimizer?.Build([]);
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

    // Evaluate's computation on data already checked.
    private double MeanLoss(Loss loss, Tensor x, Tensor y, int batchSize)
    {
        using var noGrad = no_grad();
        train(false);
        long samples = x.shape[0];
        double total = 0;
        for (long start = 0; start < samples; start += batchSize)
        {
            using var scope = NewDisposeScope();
            long end = Math.Min(samples, start + batchSize);
            var (outputs, mask) = Forward(PrepareInput(x.narrow(0, start, end - start)));
            total += loss.Compute(y.narrow(0, start, end - start), outputs[0], mask).item<float>() * (end - start);
        }
        return total / samples;
    }

    private double TrainStep(Tensor x, Tensor y)
    {
        train(true);
        if (!_optimizerBuilt)
        {
            _optimizer!.Build(NamedWeights.Where(w => w.Weight.Trainable).Select(w => w.Weight.Variable).ToArray());
            _optimizerBuilt = true;
        }
        var (outputs, mask) = Forward(PrepareInput(x));
        var loss = _loss!.Compute(y, outputs[0], mask);
        loss.backward();
        _optimizer!.Step();
        return loss.item<float>();
    }

    private Loss RequireCompiled() =>
        _loss ?? throw new InvalidOperationException($"You must call Compile() before using model '{Name}' for training or evaluation.");

    private void RequireBuilt()
    {
        if (!Built)
        {
            throw new InvalidOperationException(
                $"Model '{Name}' has not been built yet: give the first layer an inputShape, or call Fit or Predict first.");
        }
    }

    private void EnsureBuilt(Tensor x, string parameterName)
    {
        if (!Built)
        {
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

    private void CheckInput(Tensor x, string parameterName)
    {
        var expected = _input!.Shape;
        bool fits = x.dim() == expected.Length + 1 && x.shape.Skip(1).Zip(expected).All(p => p.Second < 0 || p.First == p.Second);
        if (!fits)
        {
            throw new ArgumentException(
                $"Model '{Name}' expects input of shape {Shapes.FormatBatched(expected)}; received {Shapes.Format(x.shape)}.", parameterName);
        }
    }

    private void CheckData(Tensor x, Tensor y, Loss loss, string xName, string yName)
    {
        using var scope = NewDisposeScope();
        ArgumentNullException.ThrowIfNull(x, xName);
        ArgumentNullException.ThrowIfNull(y, yName);
        EnsureBuilt(x, xName);
        CheckInput(x, xName);
        if (x.shape[0] == 0)
        {
            throw new ArgumentException($"Received no samples: {xName} has shape {Shapes.Format(x.shape)}.", xName);
        }
        if (y.dim() == 0 || y.shape[0] != x.shape[0])
        {
            throw new ArgumentException(
                $"{xName} and {yName} must have the same number of samples; received {Shapes.Format(x.shape)} and {Shapes.Format(y.shape)}.", yName);
        }
        var outputShape = x.shape[..1].Concat(ConcreteOutputShape(x)).ToArray();
        loss.ValidateTargets(y, outputShape, yName);
    }

    // The output shape for this batch, with run-time sizes (time) taken from the input where the output has them.
    private long[] ConcreteOutputShape(Tensor x)
    {
        var shape = _outputs[0].Shape.ToArray();
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0 && i < x.dim() - 1 && _input!.Shape[i] < 0)
            {
                shape[i] = x.shape[i + 1];
            }
        }
        return shape;
    }

    // Floating inputs take the weights' dtype, so a float64 batch works with a float32 model.
    private Tensor PrepareInput(Tensor x)
    {
        var dtype = NamedWeights.Select(w => w.Weight.Variable.dtype).FirstOrDefault(get_default_dtype());
        return x.is_floating_point() && x.dtype != dtype ? x.to_type(dtype) : x;
    }

    private int ElementSize() => (int)NamedWeights.Select(w => w.Weight.Variable.ElementSize).FirstOrDefault(4);

    private static int DrawSeed() => (int)randint(0, int.MaxValue, [1], dtype: ScalarType.Int64).item<long>();
}
