using MlNetRnn.Data;
using MlNetRnn.Training;

namespace MlNetRnn.Pipelines.Bench;

/// <summary>
/// Training batches of sentences of similar length: sorted by length, cut into batches, padded once up front;
/// each epoch visits the batches in a new seeded order. Little padding, so little wasted work.
/// </summary>
/// <remarks>The bench's own source until the library has a public one; the sentences inside a batch stay together
/// across epochs.</remarks>
public sealed class LengthGroupedBatches : IBatchSource, IDisposable
{
    private readonly List<PaddedBatch> _batches;
    private readonly int _seed;

    /// <param name="ids">Token ids of each sentence.</param>
    /// <param name="tags">Tag indices of each sentence.</param>
    /// <param name="batchSize">Sentences per batch.</param>
    /// <param name="seed">Seed of the per-epoch batch order.</param>
    public LengthGroupedBatches(IReadOnlyList<int[]> ids, IReadOnlyList<int[]> tags, int batchSize, int seed)
    {
        _batches = PaddedBatch.Create(ids, tags, batchSize);
        _seed = seed;
    }

    /// <summary>Padded tokens per epoch (real tokens plus padding).</summary>
    public long PaddedTokens => _batches.Sum(b => b.Ids.numel());

    public int? BatchesPerEpoch => _batches.Count;

    public IEnumerable<Batch> GetBatches(int epoch)
    {
        var order = Enumerable.Range(0, _batches.Count).ToArray();
        new Random(_seed + epoch).Shuffle(order);
        return order.Select(i => new Batch([_batches[i].Ids], _batches[i].Tags!));
    }

    public void Dispose()
    {
        foreach (var batch in _batches) batch.Dispose();
        _batches.Clear();
    }
}
