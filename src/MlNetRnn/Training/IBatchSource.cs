namespace MlNetRnn.Training;

/// <summary>
/// Where a <see cref="Trainer"/> gets its batches: one sequence per epoch (the .NET counterpart of passing a
/// generator or a <c>keras.utils.PyDataset</c> to Keras's <c>fit</c>).
/// </summary>
/// <remarks>The trainer asks for each batch inside that step's dispose scope: tensors the source creates while
/// producing a batch are freed after the step; tensors it built beforehand (detached) stay the source's.</remarks>
public interface IBatchSource
{
    /// <summary>The batches of epoch <paramref name="epoch"/> (0-based), in the order to train on them.</summary>
    IEnumerable<Batch> GetBatches(int epoch);

    /// <summary>Batches per epoch when known in advance (for the progress bar); null when not.</summary>
    int? BatchesPerEpoch => null;
}

/// <summary>Ready-made batch sources.</summary>
public static class BatchSource
{
    /// <summary>A source that produces each epoch's batches with <paramref name="epochBatches"/>.</summary>
    /// <param name="epochBatches">Called with the 0-based epoch; enumerated once per epoch.</param>
    /// <param name="batchesPerEpoch">Batches per epoch, if known (progress bar). Default unknown.</param>
    public static IBatchSource FromFunction(Func<int, IEnumerable<Batch>> epochBatches, int? batchesPerEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(epochBatches);
        return new FunctionSource(epochBatches, batchesPerEpoch);
    }

    /// <summary>The same batches, in the same order, every epoch.</summary>
    public static IBatchSource FromBatches(IReadOnlyList<Batch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        return new FunctionSource(_ => batches, batches.Count);
    }

    /// <summary>Mini-batches cut from whole tensors, reshuffled each epoch (what <c>Model.Fit</c> does with tensors).</summary>
    /// <param name="inputs">One tensor per model input, each (samples, …input shape).</param>
    /// <param name="targets">Targets, (samples, …).</param>
    /// <param name="batchSize">Samples per batch; the last batch holds the rest. Default 32.</param>
    /// <param name="shuffle">Shuffle the samples before each epoch. Default true.</param>
    /// <param name="seed">Seed of the shuffle. Default 0.</param>
    /// <param name="sampleWeight">Optional weights or mask, (samples[, …]). Default none.</param>
    /// <exception cref="ArgumentException">A batch size below 1, or tensors with different numbers of samples.</exception>
    public static IBatchSource FromTensors(IReadOnlyList<TorchSharp.torch.Tensor> inputs, TorchSharp.torch.Tensor targets,
        int batchSize = 32, bool shuffle = true, int seed = 0, TorchSharp.torch.Tensor? sampleWeight = null) =>
        new TensorBatchSource(inputs, targets, sampleWeight, batchSize, shuffle, seed);

    private sealed class FunctionSource(Func<int, IEnumerable<Batch>> epochBatches, int? batchesPerEpoch) : IBatchSource
    {
        public IEnumerable<Batch> GetBatches(int epoch) => epochBatches(epoch);
        public int? BatchesPerEpoch => batchesPerEpoch;
    }
}
