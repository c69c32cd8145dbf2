using MlNetRnn.Data;
using static TorchSharp.torch;

namespace MlNetRnn.Models;

/// <summary>Prediction: sentences → tags, scores and distributions, batched by length.</summary>
public sealed partial class SequenceTaggerNetwork
{
    /// <summary>Sentences per forward pass when tagging many: large enough to amortise libtorch's per-op cost,
    /// small enough that length grouping keeps padding low.</summary>
    internal const int PredictBatchSize = 64;

    /// <summary>Tags sentences, batched by length (sentences are sorted by length and cut into batches of
    /// <see cref="PredictBatchSize"/>). Thread-safe (the network is frozen for inference once, so calls share no
    /// mutable state); unseen tokens use the out-of-vocabulary id. An empty sentence gives empty arrays.</summary>
    /// <remarks>Results do not depend on the order of <paramref name="sentences"/> within a batch, but libtorch's
    /// kernels may round differently for different batch shapes, so a sentence tagged alone and in a batch can differ
    /// in the last bits of its probabilities (about 1e-7).</remarks>
    /// <param name="sentences">Tokens of each sentence.</param>
    /// <returns>One result per sentence, in the order given.</returns>
    public SentenceTagging[] Predict(IReadOnlyList<string[]> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var results = new SentenceTagging[sentences.Count];
        var nonEmpty = new List<int>(sentences.Count);
        for (int i = 0; i < sentences.Count; i++)
        {
            if (sentences[i].Length > 0) nonEmpty.Add(i);
            else results[i] = Empty;
        }
        if (nonEmpty.Count == 1)
        {
            results[nonEmpty[0]] = PredictOne(sentences[nonEmpty[0]]);
            return results;
        }
        var ids = nonEmpty.Select(i => _encoder.WordIds(sentences[i])).ToArray();
        var chars = _encoder.Chars is null ? null : nonEmpty.Select(i => _encoder.CharIds(sentences[i])!).ToArray();
        // Batches of similar length, run longest first (concurrent workers then finish together); each writes its own results.
        var batches = PaddedBatch.LengthBatches(ids, PredictBatchSize);
        ThreadPolicy.ForEach(batches.Length, _model.InferenceWorkers(batches.Length), k =>
        {
            using var scope = NewDisposeScope();
            using var batch = PaddedBatch.Pad(batches[batches.Length - 1 - k], ids, null, null, chars);
            var probabilities = Infer(batch.Ids, batch.Chars);
            var data = probabilities.data<float>().ToArray();
            int stride = checked((int)probabilities.shape[1] * _tags.Length);
            for (int b = 0; b < batch.Rows.Length; b++)
            {
                var distribution = new float[batch.Lengths[b] * _tags.Length];
                Array.Copy(data, b * stride, distribution, 0, distribution.Length);
                results[nonEmpty[batch.Rows[b]]] = Decode(distribution);
            }
        });
        return results;
    }

    private static readonly SentenceTagging Empty = new([], [], []);

    /// <summary>One non-empty sentence: no padding, so no batch object; one forward pass and one read-back, whose
    /// array is the distribution itself.</summary>
    private SentenceTagging PredictOne(string[] sentence)
    {
        int time = sentence.Length;
        var wordIds = _encoder.WordIds(sentence);
        var words = new long[time];
        for (int t = 0; t < time; t++) words[t] = wordIds[t];
        long[]? chars = null;
        int width = 0;
        if (_encoder.CharIds(sentence) is { } tokenChars)
        {
            foreach (var token in tokenChars) width = Math.Max(width, token.Length);
            width = Math.Max(width, 1);
            chars = new long[time * width];
            for (int t = 0; t < time; t++)
            {
                for (int c = 0; c < tokenChars[t].Length; c++) chars[t * width + c] = tokenChars[t][c];
            }
        }
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var input = tensor(words, [1, time]);
        // One sentence is far below ThreadPolicy's threshold: it runs on one thread unless the model says otherwise.
        using var threads = ThreadPolicy.Use(_model.ThreadsFor([input]));
        Tensor probabilities;
        if (chars is null && IsLayerChain)
        {
            // No padding, so no mask: every step is real, which is what the mask would say after the recurrent
            // layers read it back from the tensors (they check for right padding); same numbers, fewer ops.
            probabilities = input;
            foreach (var layer in _model.Layers) probabilities = layer.Call(probabilities)[0];
        }
        else
        {
            probabilities = _model.Forward(chars is null ? [input] : [input, tensor(chars, [1, time, width])]).Outputs[0];
        }
        return Decode(probabilities.contiguous().data<float>().ToArray());
    }

    /// <summary>Whether the model is a plain chain of layers, each reading the previous one's output: so
    /// <see cref="Tagging.TaggerArchitecture"/> builds a tagger without character features (words → Embedding → [Dropout] →
    /// recurrent layers → TimeDistributed(Dense)).</summary>
    private bool IsLayerChain => _model.Inputs.Count == 1 && HyperParameters.CharFeatures == CharFeatureKind.None;

    /// <summary>Tags, scores and distribution from one sentence's (tokens × tags) probabilities.</summary>
    private SentenceTagging Decode(float[] distribution)
    {
        int tagCount = _tags.Length;
        int length = distribution.Length / tagCount;
        var best = new string[length];
        var scores = new float[length];
        for (int t = 0; t < length; t++)
        {
            var row = distribution.AsSpan(t * tagCount, tagCount);
            int argmax = 0;
            for (int k = 1; k < tagCount; k++)
            {
                if (row[k] > row[argmax]) argmax = k;
            }
            best[t] = _tags[argmax];
            scores[t] = row[argmax];
        }
        return new SentenceTagging(best, scores, distribution);
    }

    /// <summary>The probabilities (batch, time, tags), contiguous, for word ids (batch, time) and optional character
    /// ids (batch, time, chars), int64 with 0 at padding. The model was frozen for inference once (no module state
    /// is touched here, so concurrent calls are safe); inference mode skips autograd's bookkeeping.</summary>
    private Tensor Infer(Tensor words, Tensor? chars)
    {
        using var inference = inference_mode();
        Tensor[] inputs = chars is null ? [words] : [words, chars];
        using var threads = ThreadPolicy.Use(_model.ThreadsFor(inputs));
        return _model.Forward(inputs).Outputs[0].contiguous();
    }
}
