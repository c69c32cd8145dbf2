using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Models;

// Training and evaluation: Compile, Fit, TrainOnBatch, Evaluate, weights files; the model's face to the Trainer.
public partial class Model : ITrainableModel
{
    private Loss? _loss;
    private Optimizer? _optimizer;
    private Metric[] _metrics = [];

    /// <summary>Sets the loss, optimizer and metrics for <c>Fit</c> and <see cref="Evaluate"/>. Names convert implicitly:
    /// <c>Compile(loss: "sparse_categorical_crossentropy", optimizer: "adam", metrics: ["accuracy"])</c>.</summary>
    /// <param name="loss">The objective.</param>
    /// <param name="optimizer">The optimizer; it serves this model only (its state belongs to this model's weights).</param>
    /// <param name="metrics">Keras metric names reported in <see cref="History"/>, e.g. <c>accuracy</c>. Default none.</param>
    /// <exception cref="ArgumentException">The model has more than one output (training supports one), the optimizer is
    /// compiled into another model, or a metric name is unknown.</exception>
    public void Compile(Loss loss, Optimizer optimizer, IReadOnlyList<string>? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (Built && _outputs.Count != 1)
        {
            throw new ArgumentException($"Compile supports models with one output; model '{Name}' has {_outputs.Count}.", nameof(loss));
        }
        var resolved = (metrics ?? []).Select(m => Metric.Get(m, loss)).ToArray();
        optimizer.Attach(this, Name);
        if (_optimizer is not null && !ReferenceEquals(_optimizer, optimizer))
        {
            _optimizer.Detach(this);
        }
        // A compile starts the optimizer afresh: its state is built again on the next step.
        optimizer.Release();
        _loss = loss;
        _optimizer = optimizer;
        _metrics = resolved;
    }

    /// <summary>The compiled loss; null before <see cref="Compile"/>.</summary>
    public Loss? Loss => _loss;

    /// <summary>The compiled optimizer; null before <see cref="Compile"/>.</summary>
    public Optimizer? Optimizer => _optimizer;

    /// <summary>The compiled metrics; empty before <see cref="Compile"/> or without metrics.</summary>
    public IReadOnlyList<Metric> Metrics => _metrics;

    /// <summary>Set (e.g. by a callback) to end <c>Fit</c> after the current epoch (Keras <c>model.stop_training</c>).</summary>
    public bool StopTraining { get; set; }

    /// <summary>Trains for a number of epochs over mini-batches (Keras <c>model.fit</c>). The overloads below take
    /// several inputs, or any source of batches.</summary>
    /// <param name="x">Inputs, (samples, …input shape).</param>
    /// <param name="y">Targets: for sparse categorical crossentropy, class indices shaped like the output without its class axis;
    /// for categorical crossentropy, one-hot like the output.</param>
    /// <param name="epochs">Passes over the data. Default 1.</param>
    /// <param name="batchSize">Samples per update. Default 32.</param>
    /// <param name="shuffle">Shuffle the samples before each epoch. Default true.</param>
    /// <param name="verbose">0 silent, 1 a progress bar per epoch, 2 one line per epoch. Default 1.</param>
    /// <param name="validationData">Data whose loss (and metrics) are reported after each epoch. Default none.</param>
    /// <param name="seed">Seed for shuffling. Default: the model's <see cref="Seed"/>, else the global generator.</param>
    /// <param name="callbacks">Keras callbacks (<see cref="EarlyStopping"/>, <see cref="ModelCheckpoint"/>, …). Default none.</param>
    /// <param name="progress">Where progress goes. Default <see cref="Console.Out"/> for verbose ≥ 1.</param>
    /// <param name="sampleWeight">Weights (samples) or (samples, time), or a boolean mask of the loss positions. Default none.</param>
    /// <param name="cancellationToken">Checked between batches. Default none.</param>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">The data does not fit the model.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the weights are those after the last completed step.</exception>
    public History Fit(Tensor x, Tensor y, int epochs = 1, int batchSize = 32, bool shuffle = true, int verbose = 1,
        (Tensor X, Tensor Y)? validationData = null, int? seed = null, IReadOnlyList<Callback>? callbacks = null,
        TextWriter? progress = null, Tensor? sampleWeight = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Fit([x], y, epochs, batchSize, shuffle, verbose,
            validationData is { } v ? ([v.X], v.Y) : null, seed, callbacks, progress, sampleWeight, cancellationToken);
    }

    /// <summary>Trains a model with one or more inputs: one tensor per input, each (samples, …input shape); the other
    /// arguments as in the single-input <c>Fit</c>.</summary>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">The data does not fit the model.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the weights are those after the last completed step.</exception>
    public History Fit(IReadOnlyList<Tensor> x, Tensor y, int epochs = 1, int batchSize = 32, bool shuffle = true,
        int verbose = 1, (IReadOnlyList<Tensor> X, Tensor Y)? validationData = null, int? seed = null, IReadOnlyList<Callback>? callbacks = null,
        TextWriter? progress = null, Tensor? sampleWeight = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        var loss = RequireCompiled();
        Arguments.NonNegative(epochs, nameof(epochs));
        if (batchSize < 1) throw new ArgumentException($"batchSize must be ≥ 1; received {batchSize}.", nameof(batchSize));
        if (verbose is < 0 or > 2) throw new ArgumentException($"verbose must be 0, 1 or 2; received {verbose}.", nameof(verbose));
        CheckData(x, y, loss, nameof(x), nameof(y));
        IBatchSource? validation = null;
        if (validationData is { } v)
        {
            CheckData(v.X, v.Y, loss, "validationData.X", "validationData.Y");
            validation = new TensorBatchSource(v.X, v.Y, null, batchSize, shuffle: false, seed: 0) { DataChecked = true };
        }
        var data = new TensorBatchSource(x, y, sampleWeight, batchSize, shuffle, seed ?? Seed ?? DrawSeed()) { DataChecked = true };
        return new History(new Trainer(this).Fit(data, epochs, validation, callbacks, verbose, progress, cancellationToken));
    }

    /// <summary>Trains on batches from any source; each batch is checked against the model.</summary>
    /// <param name="data">The training batches of each epoch.</param>
    /// <param name="epochs">Passes over the data. Default 1.</param>
    /// <param name="verbose">0 silent, 1 a progress bar per epoch, 2 one line per epoch. Default 1.</param>
    /// <param name="validationData">Batches evaluated after each epoch. Default none.</param>
    /// <param name="callbacks">Keras callbacks. Default none.</param>
    /// <param name="progress">Where progress goes. Default <see cref="Console.Out"/> for verbose ≥ 1.</param>
    /// <param name="cancellationToken">Checked between batches. Default none.</param>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">A batch does not fit the model.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the weights are those after the last completed step.</exception>
    public History Fit(IBatchSource data, int epochs = 1, int verbose = 1, IBatchSource? validationData = null,
        IReadOnlyList<Callback>? callbacks = null, TextWriter? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        RequireCompiled();
        return new History(new Trainer(this).Fit(data, epochs, validationData, callbacks, verbose, progress, cancellationToken));
    }

    /// <summary>One update on one batch (Keras <c>train_on_batch</c>).</summary>
    /// <returns>The batch's loss before the update.</returns>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">The data does not fit the model.</exception>
    public double TrainOnBatch(Tensor x, Tensor y) => TrainOnBatch([x], y);

    /// <summary>One update on one batch of a model with one or more inputs; <paramref name="sampleWeight"/> as in <c>Fit</c>.</summary>
    public double TrainOnBatch(IReadOnlyList<Tensor> x, Tensor y, Tensor? sampleWeight = null)
    {
        RequireCompiled();
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        return new Trainer(this).TrainOnBatch(new Batch(x, y, sampleWeight));
    }

    /// <summary>The mean loss over the data, weighting each batch by its size (Keras <c>model.evaluate</c>).</summary>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">The data does not fit the model.</exception>
    public double Evaluate(Tensor x, Tensor y, int batchSize = 32) => EvaluateMetrics([x], y, batchSize)["loss"];

    /// <summary>Loss and compiled metrics over the data, by name (Keras <c>model.evaluate(…, return_dict=True)</c>).</summary>
    /// <param name="x">One tensor per model input, each (samples, …input shape).</param>
    /// <param name="y">Targets.</param>
    /// <param name="batchSize">Samples per forward pass. Default 32.</param>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">The data does not fit the model.</exception>
    public IReadOnlyDictionary<string, double> EvaluateMetrics(IReadOnlyList<Tensor> x, Tensor y, int batchSize = 32)
    {
        var loss = RequireCompiled();
        if (batchSize < 1) throw new ArgumentException($"batchSize must be ≥ 1; received {batchSize}.", nameof(batchSize));
        CheckData(x, y, loss, nameof(x), nameof(y));
        return new Trainer(this).Evaluate(new TensorBatchSource(x, y, null, batchSize, shuffle: false, seed: 0) { DataChecked = true });
    }

    /// <summary>Loss and compiled metrics over batches from any source, by name.</summary>
    public IReadOnlyDictionary<string, double> EvaluateMetrics(IBatchSource data)
    {
        RequireCompiled();
        return new Trainer(this).Evaluate(data);
    }

    /// <summary>Writes the weights in Keras order and layout to a <see cref="WeightsFile"/>, atomically.</summary>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    public void SaveWeights(string path)
    {
        var named = NamedWeights.ToArray();
        var weights = GetWeights();
        try
        {
            WeightsFile.Write(path, named.Select((n, i) => (n.Path, weights[i])).ToArray());
        }
        finally
        {
            foreach (var w in weights) w.Dispose();
        }
    }

    /// <summary>Reads weights written by <see cref="SaveWeights"/> into this model.</summary>
    /// <exception cref="InvalidDataException">The file is not a weights file, or its weights are not this model's (names, count or shapes).</exception>
    public void LoadWeights(string path)
    {
        var read = WeightsFile.Read(path);
        try
        {
            var names = NamedWeights.Select(n => n.Path).ToArray();
            if (!read.Select(r => r.Name).SequenceEqual(names))
            {
                throw new InvalidDataException(
                    $"'{path}' holds weights [{string.Join(", ", read.Select(r => r.Name))}]; model '{Name}' has [{string.Join(", ", names)}].");
            }
            try
            {
                SetWeights(read.Select(r => r.Value).ToArray());
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"'{path}' does not fit model '{Name}': {e.Message}", e);
            }
        }
        finally
        {
            foreach (var (_, t) in read) t.Dispose();
        }
    }

    // ModelCheckpoint's whole-model files: the same file as Model.Save.
    void ITrainableModel.Save(string path) => Save(path);

    Loss ITrainableModel.Loss => RequireCompiled();

    int ITrainableModel.ThreadsFor(IReadOnlyList<Tensor> inputs) => ThreadsFor(inputs);

    Optimizer ITrainableModel.Optimizer
    {
        get
        {
            RequireCompiled();
            return _optimizer!;
        }
    }

    IReadOnlyList<Tensor> ITrainableModel.TrainableVariables =>
        NamedWeights.Where(w => w.Weight.Trainable).Select(w => w.Weight.Variable).ToArray();

    void ITrainableModel.CheckBatch(Batch batch, string parameterName)
    {
        CheckData(batch.Inputs, batch.Targets, RequireCompiled(), parameterName, parameterName);
        if (batch.SampleWeight is { } w && (w.dim() == 0 || w.shape[0] != batch.Targets.shape[0]))
        {
            throw new ArgumentException(
                $"Sample weights must have one row per sample; received {Shapes.Format(w.shape)} for targets {Shapes.Format(batch.Targets.shape)}.", parameterName);
        }
    }

    (Tensor Output, Tensor? Mask) ITrainableModel.Forward(IReadOnlyList<Tensor> inputs, bool training)
    {
        if (this.training != training)
        {
            train(training);
        }
        var (outputs, mask) = Forward(PrepareInputs(inputs));
        return (outputs[0], mask);
    }

    /// <summary>Inference on one batch without touching module state: the caller has built the model and put it in
    /// inference mode, so concurrent callers share nothing mutable. Runs on <see cref="ThreadsFor"/> threads.</summary>
    /// <param name="x">One tensor per input, (batch, …input shape), already checked against the inputs.</param>
    /// <returns>Every output, (batch, …output shape).</returns>
    internal IReadOnlyList<Tensor> Infer(IReadOnlyList<Tensor> x)
    {
        using var noGrad = no_grad();
        var inputs = PrepareInputs(x);
        using var threads = ThreadPolicy.Use(ThreadsFor(inputs));
        return Forward(inputs).Outputs;
    }

    /// <summary>Concurrent workers for <paramref name="batches"/> independent inference batches: with automatic
    /// threads, up to one per available libtorch thread (each then runs its batches on one thread, see
    /// <see cref="ThreadPolicy.ForEach"/>); with <see cref="IntraOpThreads"/> fixed, one.</summary>
    internal int InferenceWorkers(int batches) => _intraOpThreads is null ? Math.Clamp(ThreadPolicy.Available, 1, Math.Max(1, batches)) : 1;

    /// <summary>Ends training for good: inference mode set once and the optimizer's state freed.</summary>
    internal void FreezeForInference()
    {
        train(false);
        _optimizer?.Release();
    }

    private Loss RequireCompiled() =>
        _loss ?? throw new InvalidOperationException($"You must call Compile() before using model '{Name}' for training or evaluation.");

    private void CheckData(IReadOnlyList<Tensor> x, Tensor y, Loss loss, string xName, string yName)
    {
        using var scope = NewDisposeScope();
        ArgumentNullException.ThrowIfNull(x, xName);
        ArgumentNullException.ThrowIfNull(y, yName);
        if (x.Count == 0 || x.Any(t => t is null)) throw new ArgumentException($"Received no input tensor in {xName}.", xName);
        EnsureBuilt(x, xName);
        CheckInputs(x, xName);
        var first = x[0];
        if (first.shape[0] == 0)
        {
            throw new ArgumentException($"Received no samples: {xName} has shape {Shapes.Format(first.shape)}.", xName);
        }
        if (y.dim() == 0 || y.shape[0] != first.shape[0])
        {
            throw new ArgumentException(
                $"{xName} and {yName} must have the same number of samples; received {Shapes.Format(first.shape)} and {Shapes.Format(y.shape)}.", yName);
        }
        var outputShape = first.shape[..1].Concat(ConcreteOutputShape(first)).ToArray();
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

    private static int DrawSeed() => (int)randint(0, int.MaxValue, [1], dtype: ScalarType.Int64).item<long>();

    // Frees the optimizer's slot variables and lets another model compile it.
    private void ReleaseTrainingState() => _optimizer?.Detach(this);
}
