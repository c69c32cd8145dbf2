using static TorchSharp.torch;

namespace MlNetRnn.Data;

/// <summary>
/// Sentences of similar length padded to a common length: ids (batch, time) with 0 at padding, optionally each
/// token's character ids (batch, time, chars) with 0 at padding, and optionally tag indices (batch, time). Padding
/// sits at the end of each row (and of each token's characters), as packed RNNs need.
/// </summary>
public sealed class PaddedBatch : IDisposable
{
    private PaddedBatch(int[] rows, int[] lengths, Tensor ids, Tensor? chars, Tensor? tags, Tensor? rareTokens)
    {
        Rows = rows;
        Lengths = lengths;
        Ids = ids;
        Chars = chars;
        Tags = tags;
        RareTokens = rareTokens;
    }

    /// <summary>Which input sentences the batch holds, in batch order.</summary>
    public int[] Rows { get; }

    /// <summary>Real length of each row.</summary>
    public int[] Lengths { get; }

    /// <summary>Token ids, (batch, time), int64.</summary>
    public Tensor Ids { get; }

    /// <summary>Character ids of each token, (batch, time, chars), int64, 0 at padding (chars is the longest token's
    /// length in the batch); null when built without characters.</summary>
    public Tensor? Chars { get; }

    /// <summary>Tag indices, (batch, time), int64, 0 at padding; null when built without tags.</summary>
    public Tensor? Tags { get; }

    /// <summary>True where the token is rare enough to be dropped to the out-of-vocabulary id in training; null if none.</summary>
    public Tensor? RareTokens { get; }

    /// <summary>Real tokens in the batch.</summary>
    public int TokenCount => Lengths.Sum();

    /// <summary>Sentence indices sorted by length (shortest first, ties in input order) and cut into batches of at most
    /// <paramref name="batchSize"/>: similar lengths share a batch, so it needs little padding.</summary>
    public static int[][] LengthBatches(IReadOnlyList<int[]> ids, int batchSize) =>
        Enumerable.Range(0, ids.Count).OrderBy(i => ids[i].Length).Chunk(batchSize).ToArray();

    /// <summary>One batch of the given sentences, in the given order.</summary>
    /// <param name="rows">Indices of the sentences in the batch (at least one).</param>
    /// <param name="ids">Token ids of each sentence.</param>
    /// <param name="tags">Tag indices of each sentence, or null.</param>
    /// <param name="isRare">Marks ids for <see cref="RareTokens"/>, or null.</param>
    /// <param name="chars">Character ids of each token of each sentence, or null.</param>
    public static PaddedBatch Pad(int[] rows, IReadOnlyList<int[]> ids, IReadOnlyList<int[]>? tags, Func<int, bool>? isRare,
        IReadOnlyList<int[][]>? chars)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(ids);
        if (rows.Length == 0) throw new ArgumentException("A batch needs at least one sentence; received none.", nameof(rows));
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
            chars is null ? null : PadChars(rows, chars, time),
            tagData is null ? null : tensor(tagData, [rows.Length, time]).DetachFromDisposeScope(),
            anyRare ? tensor(rareData!, [rows.Length, time]).DetachFromDisposeScope() : null);
    }

    private static Tensor PadChars(int[] rows, IReadOnlyList<int[][]> chars, int time)
    {
        int width = Math.Max(1, rows.SelectMany(r => chars[r]).Select(c => c.Length).DefaultIfEmpty(1).Max());
        var data = new long[rows.Length * time * width];
        for (int b = 0; b < rows.Length; b++)
        {
            var sentence = chars[rows[b]];
            for (int t = 0; t < sentence.Length; t++)
            {
                var token = sentence[t];
                long offset = ((long)b * time + t) * width;
                for (int c = 0; c < token.Length; c++) data[offset + c] = token[c];
            }
        }
        return tensor(data, [rows.Length, time, width]).DetachFromDisposeScope();
    }

    public void Dispose()
    {
        Ids.Dispose();
        Chars?.Dispose();
        Tags?.Dispose();
        RareTokens?.Dispose();
    }
}
