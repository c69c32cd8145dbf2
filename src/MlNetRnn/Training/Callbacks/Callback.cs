namespace MlNetRnn.Training;

/// <summary>
/// A Keras callback: hooks a <see cref="Trainer"/> calls during <c>fit</c>. Epoch and batch numbers are 0-based, as
/// in Keras. <c>logs</c> hold the values by name (<c>loss</c>, <c>accuracy</c>, <c>val_loss</c>, …): at the end of
/// an epoch the epoch's values, at the end of a batch the running means of the epoch so far. Callbacks may add
/// values to an epoch's logs (e.g. <c>learning_rate</c>); later callbacks, the progress line and the history see them.
/// </summary>
public abstract class Callback
{
    private ITrainableModel? _model;

    /// <summary>The model being trained (Keras <c>self.model</c>).</summary>
    /// <exception cref="InvalidOperationException">Read before training started.</exception>
    public ITrainableModel Model
    {
        get => _model ?? throw new InvalidOperationException($"{GetType().Name} is not attached to a model: it gets one when training starts.");
        internal set => _model = value;
    }

    /// <summary>Where the callback's messages go (the trainer's progress writer).</summary>
    protected TextWriter Output { get; private set; } = TextWriter.Null;

    internal void Attach(ITrainableModel model, TextWriter output)
    {
        _model = model;
        Output = output;
    }

    /// <summary>Called once before the first epoch.</summary>
    public virtual void OnTrainBegin(IDictionary<string, double> logs) { }

    /// <summary>Called once after the last epoch (not when training is cancelled or fails).</summary>
    public virtual void OnTrainEnd(IDictionary<string, double> logs) { }

    /// <summary>Called before epoch <paramref name="epoch"/> (0-based).</summary>
    public virtual void OnEpochBegin(int epoch, IDictionary<string, double> logs) { }

    /// <summary>Called after epoch <paramref name="epoch"/> (0-based) and its validation, with the epoch's values.</summary>
    public virtual void OnEpochEnd(int epoch, IDictionary<string, double> logs) { }

    /// <summary>Called after each training step, with the running means of the epoch so far.</summary>
    public virtual void OnTrainBatchEnd(int batch, IDictionary<string, double> logs) { }

    /// <summary>Frees what the callback holds (e.g. copies of weights) once training ends, fails or is cancelled.</summary>
    protected internal virtual void ReleaseResources() { }
}
