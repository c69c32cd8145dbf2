using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>
/// Keras's training loop for any <see cref="ITrainableModel"/>: epochs over a <see cref="IBatchSource"/>, one
/// optimizer step per batch, metrics, validation, callbacks, progress and cancellation. <c>Model.Fit</c>,
/// <c>TrainOnBatch</c> and <c>Evaluate</c> run through it.
/// </summary>
public sealed class Trainer
{
    private readonly ITrainableModel _model;

    /// <param name="model">A compiled model.</param>
    public Trainer(ITrainableModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
    }

    /// <summary>Trains for <paramref name="epochs"/> epochs (Keras <c>model.fit</c>).</summary>
    /// <param name="data">The training batches of each epoch.</param>
    /// <param name="epochs">Passes over the data. Default 1.</param>
    /// <param name="validationData">Batches evaluated after each epoch (in inference mode); their loss and metrics are logged with a
    /// <c>val_</c> prefix. Default none.</param>
    /// <param name="callbacks">Called in order at each hook. Default none.</param>
    /// <param name="verbose">0 silent, 1 a progress bar per epoch, 2 one line per epoch. Default 1.</param>
    /// <param name="progress">Where progress (and callbacks' messages) go. Default: <see cref="Console.Out"/> when
    /// <paramref name="verbose"/> ≥ 1, else nowhere.</param>
    /// <param name="cancellationToken">Checked before each batch and at the end of each epoch's batches. Default none.</param>
    /// <returns>Each logged value per epoch, by name (Keras <c>history.history</c>): <c>loss</c>, metrics, <c>val_…</c>, and what callbacks add.
    /// With an optimizer that averages the weights (<c>useEma</c>), the model ends with the averages, as in Keras.</returns>
    /// <exception cref="ArgumentException">Bad arguments, a batch that does not fit the model, or an epoch without batches.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the weights are those after the last completed step.</exception>
    public IReadOnlyDictionary<string, IReadOnlyList<double>> Fit(IBatchSource data, int epochs = 1, IBatchSource? validationData = null,
        IReadOnlyList<Callback>? callbacks = null, int verbose = 1, TextWriter? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        Arguments.NonNegative(epochs, nameof(epochs));
        if (verbose is < 0 or > 2) throw new ArgumentException($"verbose must be 0, 1 or 2; received {verbose}.", nameof(verbose));
        _ = _model.Loss;
        var output = progress ?? (verbose > 0 ? Console.Out : TextWriter.Null);
        var bar = new ProgressBar(output, verbose);
        var all = callbacks ?? [];
        foreach (var callback in all) callback.Attach(_model, output);
        var history = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        _model.StopTraining = false;
        int epochsRun = 0;
        try
        {
            var logs = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var callback in all) callback.OnTrainBegin(logs);
            for (int epoch = 0; epoch < epochs && !_model.StopTraining; epoch++)
            {
                foreach (var callback in all) callback.OnEpochBegin(epoch, new Dictionary<string, double>(StringComparer.Ordinal));
                bar.StartEpoch(epoch + 1, epochs, data.BatchesPerEpoch);
                logs = TrainEpoch(data, epoch, all, bar, cancellationToken);
                if (validationData is not null)
                {
                    foreach (var (name, value) in Evaluate(validationData))
                    {
                        logs["val_" + name] = value;
                    }
                }
                foreach (var callback in all) callback.OnEpochEnd(epoch, logs);
                foreach (var (name, value) in logs)
                {
                    if (!history.TryGetValue(name, out var values)) history[name] = values = [];
                    values.Add(value);
                }
                bar.EndEpoch(logs);
                epochsRun++;
            }
            // As Keras's fit: the weights take their moving averages (use_ema) before the callbacks' on_train_end, so
            // that EarlyStopping's restore_best_weights still has the last word. (Keras asks epochs > 0; here an epoch
            // must have run, since a callback may stop training before the first, leaving nothing averaged.)
            if (epochsRun > 0) _model.Optimizer.FinalizeVariableValues();
            foreach (var callback in all) callback.OnTrainEnd(logs);
        }
        finally
        {
            foreach (var callback in all) callback.ReleaseResources();
        }
        return history.ToDictionary(p => p.Key, p => (IReadOnlyList<double>)p.Value, StringComparer.Ordinal);
    }

    /// <summary>One update on one batch (Keras <c>train_on_batch</c>); the batch is checked against the model first.</summary>
    /// <returns>The batch's loss before the update.</returns>
    /// <exception cref="ArgumentException">The batch does not fit the model.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    public double TrainOnBatch(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = NewDisposeScope();
        _model.CheckBatch(batch, nameof(batch));
        return Step(batch);
    }

    /// <summary>Loss and metrics over the batches of epoch 0 of <paramref name="data"/>, in inference mode, each batch weighted
    /// by its <see cref="Batch.Count"/> (Keras <c>model.evaluate(…, return_dict=True)</c>).</summary>
    /// <exception cref="ArgumentException">A batch does not fit the model, or there are no batches.</exception>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    public IReadOnlyDictionary<string, double> Evaluate(IBatchSource data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var loss = _model.Loss;
        bool check = data is not TensorBatchSource { DataChecked: true };
        foreach (var metric in _model.Metrics) metric.Reset();
        using var noGrad = no_grad();
        double total = 0, count = 0;
        using var batches = data.GetBatches(0).GetEnumerator();
        while (true)
        {
            using var scope = NewDisposeScope();
            if (!batches.MoveNext()) break;
            var batch = batches.Current;
            if (check) _model.CheckBatch(batch, nameof(data));
            using var threads = ThreadPolicy.Use(_model.ThreadsFor(batch.Inputs));
            var (output, mask) = _model.Forward(batch.Inputs, training: false);
            total += loss.Compute(batch.Targets, output, mask, batch.SampleWeight).ToDouble() * batch.Count;
            count += batch.Count;
            foreach (var metric in _model.Metrics) metric.Update(batch.Targets, output, mask, batch.SampleWeight);
        }
        if (count == 0) throw new ArgumentException("The evaluation data produced no batches.", nameof(data));
        return Logs(total / count);
    }

    private Dictionary<string, double> TrainEpoch(IBatchSource data, int epoch, IReadOnlyList<Callback> callbacks, ProgressBar bar,
        CancellationToken cancellationToken)
    {
        bool check = data is not TensorBatchSource { DataChecked: true };
        foreach (var metric in _model.Metrics) metric.Reset();
        double total = 0, count = 0;
        int done = 0;
        using var batches = data.GetBatches(epoch).GetEnumerator();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double batchCount;
            using (var scope = NewDisposeScope())
            {
                // Asked inside the step's scope: what the source creates for this batch is freed with the step.
                if (!batches.MoveNext()) break;
                var batch = batches.Current;
                if (check) _model.CheckBatch(batch, nameof(data));
                total += Step(batch) * batch.Count;
                batchCount = batch.Count;
            }
            count += batchCount;
            var running = Logs(total / count);
            bar.Batch(++done, running);
            foreach (var callback in callbacks) callback.OnTrainBatchEnd(done - 1, running);
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (count == 0) throw new ArgumentException($"The training data produced no batches for epoch {epoch} (0-based).", nameof(data));
        return Logs(total / count);
    }

    // Forward, loss, backward and update; the caller owns the dispose scope. The loss is read after the update, as before.
    private double Step(Batch batch)
    {
        var optimizer = _model.Optimizer;
        if (!optimizer.Built)
        {
            optimizer.Build(_model.TrainableVariables);
        }
        using var threads = ThreadPolicy.Use(_model.ThreadsFor(batch.Inputs));
        var (output, mask) = _model.Forward(batch.Inputs, training: true);
        var loss = _model.Loss.Compute(batch.Targets, output, mask, batch.SampleWeight);
        loss.backward();
        optimizer.Step();
        foreach (var metric in _model.Metrics) metric.Update(batch.Targets, output, mask, batch.SampleWeight);
        return loss.ToDouble();
    }

    private Dictionary<string, double> Logs(double loss)
    {
        var logs = new Dictionary<string, double>(StringComparer.Ordinal) { ["loss"] = loss };
        foreach (var metric in _model.Metrics) logs[metric.Name] = metric.Result;
        return logs;
    }
}
