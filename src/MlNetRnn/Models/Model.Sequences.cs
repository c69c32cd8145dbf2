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
    /// <remarks>After the first, the batches may run at once on several threads (<see cref="ThreadPolicy"/>): a custom
    /// layer that keeps mutable state during its forward pass must not be used here with automatic threads (set
    /// <see cref="IntraOpThreads"/> to run one batch at a time).</remarks>
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
        var chunks = PaddedBatch.LengthBatches(sequences, batchSize);
        var parts = new Tensor[chunks.Length];
        using var scope = NewDisposeScope();
        // The first batch goes through Predict, which builds the model if needed and sets inference mode; the other
        // batches then share nothing mutable and run concurrently when threads allow.
        try
        {
            parts[0] = PredictPadded(chunks[0], sequences, batch => Predict(batch, batchSize));
            // The rest, longest first: the workers finish together.
            ThreadPolicy.ForEach(chunks.Length - 1, InferenceWorkers(chunks.Length - 1), k =>
            {
                int c = chunks.Length - 1 - k;
                parts[c] = PredictPadded(chunks[c], sequences, batch =>
                {
                    CheckInputs([batch], nameof(sequences));
                    return Infer([batch])[0];
                });
            });
        }
        finally
        {
            // What the batches made belongs to this call's scope, also when one of them failed.
            scope.Attach(parts.OfType<Tensor>());
        }
        // Zeros up to the largest size on each axis, then each batch's rows written back to their input positions.
        long[] largest = Enumerable.Range(1, (int)parts[0].dim() - 1).Select(axis => parts.Max(p => p.shape[axis])).ToArray();
        var result = zeros([sequences.Count, .. largest], dtype: parts[0].dtype);
        for (int k = 0; k < parts.Length; k++)
        {
            var target = result;
            for (int axis = 1; axis < parts[k].dim(); axis++) target = target.narrow(axis, 0, parts[k].shape[axis]);
            target.index_copy_(0, tensor(chunks[k].Select(i => (long)i).ToArray()), parts[k]);
        }
        return result.MoveToOuterDisposeScope();
    }

    // One batch of sequences padded at the end, run by `run`, with the outputs at padding zeroed; the result belongs to
    // no dispose scope (it may be made on another thread than the caller's).
    private Tensor PredictPadded(int[] rows, IReadOnlyList<int[]> sequences, Func<Tensor, Tensor> run)
    {
        using var scope = NewDisposeScope();
        using var batch = PaddedBatch.Pad(rows, sequences, null, null, null);
        long time = batch.Ids.shape[1];
        var output = run(batch.Ids);
        if (output.dim() >= 2 && _outputs[0].Shape[0] < 0 && output.shape[1] == time)
        {
            // A time axis that follows the input's: what the model computed at padding is not an answer.
            var padding = arange(time).unsqueeze(0) >= tensor(batch.Lengths.Select(n => (long)n).ToArray()).unsqueeze(1);
            output = output.masked_fill(padding.reshape([rows.Length, time, .. Enumerable.Repeat(1L, (int)output.dim() - 2)]), Scalars.Zero);
        }
        return output.DetachFromDisposeScope();
    }
}
