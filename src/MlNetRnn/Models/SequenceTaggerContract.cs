// CONTRACT STUB — the real implementation lives on main (Models/SequenceTaggerNetwork.cs etc.) and
// replaces this file at merge time. Only the public signatures below may be relied on.
namespace MlNetRnn.Models;

/// <summary>Hyper-parameters of the Embedding → SimpleRNN → TimeDistributed(Dense softmax) tagger.</summary>
public class SequenceTaggerHyperParameters
{
    /// <summary>Embedding width. Default 64.</summary>
    public int EmbeddingSize { get; set; } = 64;
    /// <summary>SimpleRNN units. Default 128.</summary>
    public int Units { get; set; } = 128;
    /// <summary>Training epochs. Default 10.</summary>
    public int Epochs { get; set; } = 10;
    /// <summary>Sentences per batch. Default 32.</summary>
    public int BatchSize { get; set; } = 32;
    /// <summary>Adam learning rate. Default 0.001.</summary>
    public double LearningRate { get; set; } = 1e-3;
    /// <summary>Seed for initial weights and shuffling. Default 0.</summary>
    public int Seed { get; set; }
    /// <summary>Tokens seen fewer times than this map to the out-of-vocabulary id. Default 1.</summary>
    public int VocabularyMinCount { get; set; } = 1;
}

/// <summary>One epoch of tagger training, as reported to a progress callback.</summary>
public sealed record EpochReport(int Epoch, int Epochs, double Loss, double? DevAccuracy, TimeSpan Elapsed);

/// <summary>Tags for one sentence: <c>Tags[i]</c> and its probability <c>Scores[i]</c> for token i;
/// <c>Distribution</c> is (tokens × tag count) row-major, in <see cref="SequenceTaggerNetwork.TagNames"/> order.</summary>
public sealed record SentenceTagging(string[] Tags, float[] Scores, float[] Distribution);

/// <summary>A trained tagger network with its vocabulary and tag set.</summary>
public sealed class SequenceTaggerNetwork : IDisposable
{
    private readonly Dictionary<string, string> _stub = new();
    private SequenceTaggerNetwork(IReadOnlyList<string> tagNames) => TagNames = tagNames;

    /// <summary>Tag names in class-index order.</summary>
    public IReadOnlyList<string> TagNames { get; }

    /// <summary>Trains a tagger. Throws ArgumentException for empty data, empty or ragged sentences
    /// (tokens/tags of different lengths), naming the sentence index.</summary>
    public static SequenceTaggerNetwork Train(
        IReadOnlyList<string[]> tokens, IReadOnlyList<string[]> tags, SequenceTaggerHyperParameters hyperParameters,
        IReadOnlyList<string[]>? devTokens = null, IReadOnlyList<string[]>? devTags = null,
        Action<EpochReport>? onEpoch = null)
    {
        if (tokens.Count == 0) throw new ArgumentException("no sentences to train on", nameof(tokens));
        var net = new SequenceTaggerNetwork(tags.SelectMany(t => t).Distinct().OrderBy(t => t, StringComparer.Ordinal).ToArray());
        for (int s = 0; s < tokens.Count; s++)
            for (int i = 0; i < tokens[s].Length; i++) net._stub[tokens[s][i]] = tags[s][i];
        for (int e = 1; e <= hyperParameters.Epochs; e++) onEpoch?.Invoke(new EpochReport(e, hyperParameters.Epochs, 0, null, TimeSpan.Zero));
        return net;
    }

    /// <summary>Tags sentences (batched internally). Thread-safe; never fails on unseen tokens.
    /// An empty sentence gives empty arrays.</summary>
    public SentenceTagging[] Predict(IReadOnlyList<string[]> sentences) =>
        sentences.Select(s => new SentenceTagging(
            s.Select(t => _stub.TryGetValue(t, out var tag) ? tag : TagNames[0]).ToArray(),
            s.Select(_ => 1f).ToArray(),
            s.SelectMany(t => TagNames.Select(n => _stub.TryGetValue(t, out var tag) && tag == n ? 1f : 0f)).ToArray())).ToArray();

    /// <summary>Writes the network (own format version, vocabulary, tags, hyper-parameters, weights).</summary>
    public void Save(Stream stream)
    {
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write("stub"); w.Write(TagNames.Count); foreach (var t in TagNames) w.Write(t);
        w.Write(_stub.Count); foreach (var (k, v) in _stub) { w.Write(k); w.Write(v); }
    }

    /// <summary>Reads what <see cref="Save"/> wrote. Throws InvalidDataException for truncated, foreign or
    /// newer-format data, with a message saying which.</summary>
    public static SequenceTaggerNetwork Load(Stream stream)
    {
        try
        {
            using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            if (r.ReadString() != "stub") throw new InvalidDataException("not a tagger network");
            var tags = new string[r.ReadInt32()]; for (int i = 0; i < tags.Length; i++) tags[i] = r.ReadString();
            var net = new SequenceTaggerNetwork(tags);
            int n = r.ReadInt32(); for (int i = 0; i < n; i++) net._stub[r.ReadString()] = r.ReadString();
            return net;
        }
        catch (EndOfStreamException e) { throw new InvalidDataException("tagger network data is truncated", e); }
    }

    public void Dispose() { }
}
