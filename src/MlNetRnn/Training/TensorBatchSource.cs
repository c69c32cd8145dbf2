using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>Mini-batches of rows of whole tensors; each epoch draws a new order from one seeded generator.</summary>
internal sealed class TensorBatchSource : IBatchSource
{
    private readonly IReadOnlyList<Tensor> _inputs;
    private readonly Tensor _targets;
    private readonly Tensor? _sampleWeight;
    private readonly int _batchSize;
    private readonly bool _shuffle;
    private readonly Random _shuffler;
    private readonly int _samples;

    public TensorBatchSource(IReadOnlyList<Tensor> inputs, Tensor targets, Tensor? sampleWeight, int batchSize, bool shuffle, int seed)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (batchSize < 1) throw new ArgumentException($"batchSize must be ≥ 1; received {batchSize}.", nameof(batchSize));
        if (inputs.Count == 0) throw new ArgumentException("Received no input tensors.", nameof(inputs));
        long samples = inputs[0].shape.Length == 0 ? 0 : inputs[0].shape[0];
        foreach (var (tensor, name) in inputs.Select((t, i) => (t, $"inputs[{i}]")).Append((targets, "targets"))
                     .Concat(sampleWeight is null ? [] : [(sampleWeight, "sampleWeight")]))
        {
            if (tensor.dim() == 0 || tensor.shape[0] != samples)
            {
                throw new ArgumentException(
                    $"Every tensor needs the same number of samples; inputs[0] has shape {Shapes.Format(inputs[0].shape)} and {name} {Shapes.Format(tensor.shape)}.", name);
            }
        }
        _inputs = inputs;
        _targets = targets;
        _sampleWeight = sampleWeight;
        _batchSize = batchSize;
        _shuffle = shuffle;
        _shuffler = new Random(seed);
        _samples = (int)samples;
    }

    /// <summary>Set by a caller that has checked the whole tensors against the model, so batches need no check of their own.</summary>
    internal bool DataChecked { get; init; }

    public int? BatchesPerEpoch => (_samples + _batchSize - 1) / _batchSize;

    public IEnumerable<Batch> GetBatches(int epoch)
    {
        var order = Enumerable.Range(0, _samples).ToArray();
        if (_shuffle)
        {
            _shuffler.Shuffle(order);
        }
        for (int start = 0; start < _samples; start += _batchSize)
        {
            var rows = order.AsSpan(start, Math.Min(_batchSize, _samples - start)).ToArray();
            var index = tensor(rows.Select(r => (long)r).ToArray());
            yield return new Batch(
                _inputs.Select(x => x.index_select(0, index)).ToArray(),
                _targets.index_select(0, index),
                _sampleWeight?.index_select(0, index));
        }
    }
}
