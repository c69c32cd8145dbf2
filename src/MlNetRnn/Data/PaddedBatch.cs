using static TorchSharp.torch;

namespace MlNetRnn.Data;

/// <summary>
/// Sentences of similar length padded to a common length: ids (batch, time) with 0 at padding, and
/// optionally tag indices (batch, time). Padding sits at the end of each row, as packed RNNs need.
/// </summary>
public sealed class PaddedBatch : IDisposable
{
    private PaddedBatch(int[] rows, int[] lengths, Tensor ids, Tensor? tags, Tensor? rareTokens)
    {
        Rows = rows;
        Lengths = lengths;
        Ids = ids;
        Tags = tags;
        RareTokens = rareTokens;
    }

    /// <summary>Which input sentences the batch holds, in batch order.</summary>
    public int[] Rows { get; }

    /// <summary>Real length of each row.</summary>
    public int[] Lengths { get; }

    /// <summary>Token ids, (batch, time), int64.</summary>
    public Tensor Ids { get; }

    /// <summary>Tag indices, (batch, time), int64, 0 at padding; null when built without tags.</summary>
    public Tensor? Tags { get; }

    /// <summary>True where the token is rare enough to be dropped to the out-of-vocabulary id in training; null if none.</summary>
    public Tensor? RareTokens { get; }

    /// <summary>Real tokens in the batch.</summary>
    public int TokenCount => Lengths.Sum();

    /// <summary>
    /// Groups sentences into batches of at most <paramref name="batchSize"/>, sorted by length so that
    /// little padding is needed. Empty sentences are not allowed.
    /// </summary>
    public static List<PaddedBatch> Create(IReadOnlyList<int[]> ids, IReadOnlyList<int[]>? tags, int batchSize,
        Func<int, bool>? isRare = null)
    {
        var order = Enumerable.Range(0, ids.Count).OrderBy(i => ids[i].Length).ToArray();
        var batches = new List<PaddedBatch>();
        for (int start = 0; start < order.Length; start += batchSize)
        {
            var rows = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
            batches.Add(Pad(rows, ids, tags, isRare));
        }
        return batches;
    }

    private static PaddedBatch Pad(int[] rows, IReadOnlyList<int[]> ids, IReadOnlyList<int[]>? tags, Func<int, bool>? isRare)
    {
        int time = Math.Max(1, rows.Max(r => ids[r].Length));
        var idData = new long[rows.Length * time];
        var tagData = tags is null ? null : new long[rows.Length * time];
        var rareData = isRare is null ? null : new bool[rows.Length * time];
        bool anyRare = false;
        for (int b = 0; b < rows.Length; b++)
        {
            var sentence = ids[rows[b]];
            for (int t = 0; t < sentence.Length; t++)
            {
                idData[b * time + t] = sentence[t];
                if (tagData is not null) tagData[b * time + t] = tags![rows[b]][t];
                if (rareData is not null && isRare!(sentence[t]))
                {
                    rareData[b * time + t] = true;
                    anyRare = true;
                }
            }
        }
        return new PaddedBatch(
            rows,
            rows.Select(r => ids[r].Length).ToArray(),
            tensor(idData, [rows.Length, time]).DetachFromDisposeScope(),
            tagData is null ? null : tensor(tagData, [rows.Length, time]).DetachFromDisposeScope(),
            anyRare ? tensor(rareData!, [rows.Length, time]).DetachFromDisposeScope() : null);
    }

    public void Dispose()
    {
        Ids.Dispose();
        Tags?.Dispose();
        RareTokens?.Dispose();
    }
}
