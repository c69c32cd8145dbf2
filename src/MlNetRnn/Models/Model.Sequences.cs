using MlNetRnn.Data;
using static TorchSharp.torch;

namespace MlNetRnn.Models;

// Inference over integer sequences of different lengths, grouped by length (the counterpart of SequenceBatchSource).
public partial class Model
{
    /// <summary>
    /// Runs a model whose input is token ids (batch, time) over sequences of different lengths: sorts them by length,
    /// pads each batch at the end with 0 only to its own longest sequence, runs the batches in inference mode, and
    /// returns the outputs in the input order. Keras has no direct equivalent (a padded <c>model.predict</c> after
    /// tf.data's <c>bucket_by_sequence_length</c>, with the order restored by hand).
    /// </summary>
    /// <param name="sequences">Token ids of each sequence (0 is the padding id).</param>
    /// <param name="batchSize">Sequences per forward pass. Default 256.</param>
    /// <returns>The first output for every sequence in input order, padded with zeros on each axis whose size varies
    /// with the batch, e.g. (samples, longest, classes) for a tagger; rows past a sequence's length are zero.</returns>
    /// <exception cref="ArgumentException">No sequences, a batch size below 1, a null sequence, or ids the model does
    /// not take.</exception>
    public Tensor PredictSequences(IReadOnlyList<int[]> sequences, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (batchSize < 1) throw new ArgumentException($"batchSize must be ≥ 1; received {batchSize}.", nameof(batchSize));
        if (sequences.Count == 0) throw new ArgumentException("Received no sequences.", nameof(sequences));
        if (sequences.Any(s => s is null)) throw new ArgumentException("A sequence is null.", nameof(sequences));
        var order = Enumerable.Range(0, sequences.Count).OrderBy(i => sequences[i].Length).ToArray();
        var parts = new List<Tensor>();
        using var scope = NewDisposeScope();
        foreach (var rows in order.Chunk(batchSize))
        {
            using var batch = PaddedBatch.Pad(rows, sequences, null, null, null);
            long time = batch.Ids.shape[1];
            var output = Predict(batch.Ids, batchSize);
            if (output.dim() >= 2 && _outputs[0].Shape[0] < 0 && output.shape[1] == time)
            {
                // A time axis that follows the input's: what the model computed at padding is not an answer.
                var padding = arange(time).unsqueeze(0) >= tensor(batch.Lengths.Select(n => (long)n).ToArray()).unsqueeze(1);
                output = output.masked_fill(padding.reshape([rows.Length, time, .. Enumerable.Repeat(1L, (int)output.dim() - 2)]), Scalars.Zero);
            }
            parts.Add(output);
        }
        // Pad every part to the largest size on each axis, stack them in sorted order, then put rows back in input order.
        long[] largest = Enumerable.Range(1, (int)parts[0].dim() - 1).Select(axis => parts.Max(p => p.shape[axis])).ToArray();
        var padded = parts.Select(p => Pad(p, largest)).ToArray();
        var sorted = padded.Length == 1 ? padded[0] : cat(padded, 0);
        var inverse = new long[order.Length];
        for (int k = 0; k < order.Length; k++) inverse[order[k]] = k;
        return sorted.index_select(0, tensor(inverse)).MoveToOuterDisposeScope();
    }

    // Zeros after the end of each axis up to the given sizes (sizes per sample, batch axis excluded).
    private static Tensor Pad(Tensor part, long[] sizes)
    {
        var padding = new List<long>();
        for (int axis = sizes.Length; axis >= 1; axis--)
        {
            padding.Add(0);
            padding.Add(sizes[axis - 1] - part.shape[axis]);
        }
        return padding.All(p => p == 0) ? part : nn.functional.pad(part, padding.ToArray());
    }
}
