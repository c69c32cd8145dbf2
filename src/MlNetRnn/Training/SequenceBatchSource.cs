using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>
/// Training batches from integer sequences of different lengths (token ids with one target class per token), padded
/// at the end with 0. With <c>groupByLength</c> (the default) each batch holds sequences of similar length, so little
/// time is spent on padding; the batches' order (and which equal-length sequences share a batch) is reshuffled every
/// epoch. Padding never counts: each batch carries a boolean sample weight that is false there, so the loss and the
/// metrics leave it out whether or not the model masks.
/// </summary>
/// <remarks>
/// Keras has no direct equivalent: the nearest is tf.data's <c>bucket_by_sequence_length</c> feeding <c>model.fit</c>.
/// Grouping changes which sequences share a batch (and so the gradient steps), not the model's numbers on a given
/// batch. Use it with <c>Model.Fit(IBatchSource, …)</c>; <c>Model.PredictSequences</c> is the matching inference.
/// </remarks>
public sealed class SequenceBatchSource : IBatchSource
{
    private readonly IReadOnlyList<int[]> _sequences;
    private readonly IReadOnlyList<int[]> _targets;
    private readonly int _batchSize;
    private readonly bool _shuffle;
    private readonly bool _groupByLength;
    private readonly Random _shuffler;

    /// <param name="sequences">Token ids of each sequence, each id ≥ 0 (0 is the padding id: give the model's Embedding
    /// <c>maskZero</c> so that it masks padding).</param>
    /// <param name="targets">One class index per token of each sequence, each ≥ 0, the same length as its sequence.</param>
    /// <param name="batchSize">Sequences per batch; the last batch of a length group may hold fewer. Default 32.</param>
    /// <param name="shuffle">Reshuffle before each epoch. Default true.</param>
    /// <param name="seed">Seed of the shuffle. Default 0.</param>
    /// <param name="groupByLength">Batch sequences of similar length together. When false, batches are cut from the
    /// (shuffled) sequence order, as <c>Model.Fit</c> does with tensors. Default true.</param>
    /// <exception cref="ArgumentException">No sequences, a batch size below 1, different counts of sequences and
    /// targets, a target row whose length differs from its sequence's, or a negative id or class.</exception>
    public SequenceBatchSource(IReadOnlyList<int[]> sequences, IReadOnlyList<int[]> targets, int batchSize = 32, bool shuffle = true,
        int seed = 0, bool groupByLength = true)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentNullException.ThrowIfNull(targets);
        if (batchSize < 1) throw new ArgumentException($"batchSize must be ≥ 1; received {batchSize}.", nameof(batchSize));
        if (sequences.Count == 0) throw new ArgumentException("Received no sequences.", nameof(sequences));
        if (targets.Count != sequences.Count)
        {
            throw new ArgumentException($"Expected one target row per sequence ({sequences.Count}); received {targets.Count}.", nameof(targets));
        }
        for (int i = 0; i < sequences.Count; i++)
        {
            var ids = sequences[i] ?? throw new ArgumentException($"Sequence {i} is null.", nameof(sequences));
            var classes = targets[i] ?? throw new ArgumentException($"Target row {i} is null.", nameof(targets));
            if (classes.Length != ids.Length)
            {
                throw new ArgumentException(
                    $"Target row {i} must have one class per token of sequence {i} ({ids.Length}); received {classes.Length}.", nameof(targets));
            }
            if (ids.Any(id => id < 0)) throw new ArgumentException($"Sequence {i} holds a negative id: {ids.First(id => id < 0)}.", nameof(sequences));
            if (classes.Any(c => c < 0)) throw new ArgumentException($"Target row {i} holds a negative class: {classes.First(c => c < 0)}.", nameof(targets));
        }
        _sequences = sequences;
        _targets = targets;
        _batchSize = batchSize;
        _shuffle = shuffle;
        _groupByLength = groupByLength;
        _shuffler = new Random(seed);
    }

    /// <summary>Batches per epoch: the same every epoch.</summary>
    public int? BatchesPerEpoch => (_sequences.Count + _batchSize - 1) / _batchSize;

    /// <summary>The batches of one epoch: ids (batch, time) int64, targets (batch, time) int64 and a boolean sample
    /// weight (batch, time), true at real tokens; time is the longest sequence of the batch (at least 1).</summary>
    public IEnumerable<Batch> GetBatches(int epoch)
    {
        foreach (var rows in Order(_shuffle ? _shuffler : null))
        {
            yield return Pad(rows);
        }
    }

    /// <summary>Which sequences form each batch, in training order. Grouped: sorted by length (ties in random order
    /// when shuffling), cut into batches, batches shuffled; otherwise cut from the (shuffled) order.</summary>
    internal IReadOnlyList<int[]> Order(Random? random)
    {
        var order = Enumerable.Range(0, _sequences.Count).ToArray();
        random?.Shuffle(order);
        if (_groupByLength)
        {
            // A stable sort after the shuffle: equal lengths stay in random order.
            order = [.. order.OrderBy(i => _sequences[i].Length)];
        }
        var batches = order.Chunk(_batchSize).ToArray();
        if (_groupByLength)
        {
            random?.Shuffle(batches);
        }
        return batches;
    }

    private Batch Pad(int[] rows)
    {
        int time = Math.Max(1, rows.Max(r => _sequences[r].Length));
        var ids = new long[rows.Length * time];
        var classes = new long[rows.Length * time];
        var real = new bool[rows.Length * time];
        for (int b = 0; b < rows.Length; b++)
        {
            var sequence = _sequences[rows[b]];
            var target = _targets[rows[b]];
            for (int t = 0; t < sequence.Length; t++)
            {
                ids[b * time + t] = sequence[t];
                classes[b * time + t] = target[t];
                real[b * time + t] = true;
            }
        }
        long[] shape = [rows.Length, time];
        return new Batch([tensor(ids, shape)], tensor(classes, shape), tensor(real, shape));
    }
}
