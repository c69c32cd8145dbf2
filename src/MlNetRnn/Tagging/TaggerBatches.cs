using System.Runtime.InteropServices;
using MlNetRnn.Data;
using MlNetRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Tagging;

/// <summary>
/// The tagger's training batches: each epoch the sentences are shuffled, cut into pools of
/// <see cref="PoolBatches"/> batches, sorted by length within each pool and cut into batches, whose order is
/// shuffled again; so batches differ from epoch to epoch while padding stays small. Tokens seen once in training
/// are replaced by the out-of-vocabulary id with probability <c>rareTokenDropout</c> at each step, and every word by
/// its own word-dropout probability (<see cref="WordDropoutProbabilities"/>). Each batch's loss
/// counts by its real tokens. Inputs: [words (batch, time)] or [words, chars (batch, time, chars)].
/// </summary>
internal sealed class TaggerBatches : IBatchSource, IDisposable
{
    /// <summary>Batches per length-sorted pool: enough to keep padding small, few enough to keep batches varied.</summary>
    public const int PoolBatches = 50;

    private readonly IReadOnlyList<int[]> _ids;
    private readonly IReadOnlyList<int[][]>? _chars;
    private readonly IReadOnlyList<int[]> _labels;
    private readonly int _batchSize;
    private readonly Func<int, bool>? _isRare;
    private readonly Random _shuffler;
    private readonly Generator _dropout;
    private readonly Tensor? _wordDropout;
    // Held for the source's lifetime: a Scalar made implicitly for one call can be finalized while libtorch still reads it.
    private readonly Scalar _unknownId = Vocabulary.OutOfVocabularyId.ToScalar();
    private readonly Scalar _rareRate;

    /// <param name="ids">Word ids of each sentence.</param>
    /// <param name="chars">Character ids of each token of each sentence, or null without character features.</param>
    /// <param name="labels">Tag indices of each sentence.</param>
    /// <param name="batchSize">Sentences per batch.</param>
    /// <param name="seed">Seeds the shuffles and the token dropout.</param>
    /// <param name="rareTokenDropout">Probability of dropping a rare token to the out-of-vocabulary id, in [0, 1).</param>
    /// <param name="rareIds">Ids of the tokens seen once.</param>
    /// <param name="wordDropout">Drop probability of each word id (<see cref="WordDropoutProbabilities"/>), or null for none.</param>
    public TaggerBatches(IReadOnlyList<int[]> ids, IReadOnlyList<int[][]>? chars, IReadOnlyList<int[]> labels, int batchSize, int seed,
        double rareTokenDropout, IReadOnlySet<int> rareIds, float[]? wordDropout = null)
    {
        _wordDropout = wordDropout is null ? null : tensor(wordDropout).DetachFromDisposeScope();
        _ids = ids;
        _chars = chars;
        _labels = labels;
        _batchSize = batchSize;
        _rareRate = rareTokenDropout.ToScalar();
        _isRare = rareTokenDropout > 0 && rareIds.Count > 0 ? rareIds.Contains : null;
        _shuffler = new Random(seed);
        _dropout = new Generator((ulong)seed);
    }

    public int? BatchesPerEpoch => BatchCount(_ids.Count, _batchSize);

    /// <summary>Batches an epoch of <paramref name="sentences"/> sentences takes.</summary>
    public static int BatchCount(int sentences, int batchSize) => (sentences + batchSize - 1) / batchSize;

    public IEnumerable<Batch> GetBatches(int epoch)
    {
        foreach (var rows in EpochGroups())
        {
            // Made for this step and freed when the trainer asks for the next batch (or stops).
            using var batch = PaddedBatch.Pad(rows, _ids, _labels, _isRare, _chars);
            var words = batch.Ids;
            if (batch.RareTokens is { } rare)
            {
                var drop = rare.logical_and(rand(rare.shape, generator: _dropout).lt(_rareRate));
                words = words.masked_fill(drop, _unknownId);
            }
            if (_wordDropout is not null)
            {
                // Padding and out-of-vocabulary ids have probability 0, so only real known words are dropped.
                var drop = rand(words.shape, generator: _dropout).lt(_wordDropout.index_select(0, words.flatten()).reshape(words.shape));
                words = words.masked_fill(drop, _unknownId);
            }
            Tensor[] inputs = batch.Chars is { } chars ? [words, chars] : [words];
            yield return new Batch(inputs, batch.Tags!, count: batch.TokenCount);
        }
    }

    /// <summary>The sentence indices of each batch of one epoch, in training order.</summary>
    internal List<int[]> EpochGroups()
    {
        var order = Enumerable.Range(0, _ids.Count).ToArray();
        _shuffler.Shuffle(order);
        var groups = new List<int[]>();
        int pool = _batchSize * PoolBatches;
        for (int start = 0; start < order.Length; start += pool)
        {
            var sorted = order.AsSpan(start, Math.Min(pool, order.Length - start)).ToArray()
                .OrderBy(i => _ids[i].Length).ToArray();
            for (int b = 0; b < sorted.Length; b += _batchSize)
            {
                groups.Add(sorted[b..Math.Min(sorted.Length, b + _batchSize)]);
            }
        }
        _shuffler.Shuffle(CollectionsMarshal.AsSpan(groups));
        return groups;
    }

    /// <summary>Word dropout (Kiperwasser and Goldberg): the probability α / (α + c) for each word id whose word was seen
    /// c times in training, 0 for padding, the out-of-vocabulary id and words never seen in training (from word vectors).</summary>
    /// <param name="alpha">α, positive.</param>
    /// <param name="vocabulary">The word vocabulary (id = index + 2).</param>
    /// <param name="counts">Training count of each vocabulary token.</param>
    public static float[] WordDropoutProbabilities(double alpha, Vocabulary vocabulary, IReadOnlyDictionary<string, int> counts)
    {
        var probabilities = new float[vocabulary.Size];
        for (int k = 0; k < vocabulary.Tokens.Count; k++)
        {
            int count = counts.GetValueOrDefault(vocabulary.Tokens[k]);
            probabilities[k + 2] = count == 0 ? 0f : (float)(alpha / (alpha + count));
        }
        return probabilities;
    }

    public void Dispose()
    {
        _dropout.Dispose();
        _wordDropout?.Dispose();
        _unknownId.Dispose();
        _rareRate.Dispose();
    }
}
