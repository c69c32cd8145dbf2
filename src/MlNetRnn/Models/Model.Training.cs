using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Models;

// Training and evaluation: Compile, Fit, TrainOnBatch, Evaluate.
public partial class Model
{
    private Loss? _loss;
    private Optimizer? _optimizer;
    private bool _optimizerBuilt;

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
            var (outputs, mask) = Forward(PrepareInputs([x.narrow(0, start, end - start)]));
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
        var (outputs, mask) = Forward(PrepareInputs([x]));
        var loss = _loss!.Compute(y, outputs[0], mask);
        loss.backward();
        _optimizer!.Step();
        return loss.item<float>();
    }

    private Loss RequireCompiled() =>
        _loss ?? throw new InvalidOperationException($"You must call Compile() before using model '{Name}' for training or evaluation.");


    private void CheckData(Tensor x, Tensor y, Loss loss, string xName, string yName)
    {
        using var scope = NewDisposeScope();
        ArgumentNullException.ThrowIfNull(x, xName);
        ArgumentNullException.ThrowIfNull(y, yName);
        EnsureBuilt([x], xName);
        CheckInputs([x], xName);
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


    private static int DrawSeed() => (int)randint(0, int.MaxValue, [1], dtype: ScalarType.Int64).item<long>();

    // Frees the optimizer's slot variables with the model.
    private void ReleaseTrainingState() => _optimizer?.Build([]);
}
