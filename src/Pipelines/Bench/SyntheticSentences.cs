using static TorchSharp.torch;

namespace MlNetRnn.Pipelines.Bench;

/// <summary>
/// W2's sentences, drawn exactly as <c>torch_bench.py</c>'s <c>tagger_data</c> draws them (libtorch's CPU generator
/// seeded with <paramref name="Seed"/>: all lengths uniform in 5..40 first, then each sentence's ids in 1..4999), so
/// both sides train on the same sentences. Each tag depends on the token and the one before it:
/// <c>(id + 3 · previous id) mod 17</c>, the previous id of the first token being 0.
/// </summary>
/// <param name="Ids">Token ids of each sentence (0 is padding and never drawn).</param>
/// <param name="Tags">Tag indices of each sentence, in 0..16.</param>
/// <param name="Seed">The generator's seed.</param>
public sealed record SyntheticSentences(IReadOnlyList<int[]> Ids, IReadOnlyList<int[]> Tags, int Seed)
{
    /// <summary>Ids 0..4999; 0 is padding.</summary>
    public const int Vocabulary = 5000;
    /// <summary>Tags 0..16.</summary>
    public const int TagCount = 17;
    /// <summary>Shortest sentence.</summary>
    public const int MinLength = 5;
    /// <summary>Longest sentence.</summary>
    public const int MaxLength = 40;
    /// <summary>torch_bench.py's seed.</summary>
    public const int DefaultSeed = 1234;

    /// <summary>Real tokens over all sentences (padding excluded).</summary>
    public int RealTokens { get; } = Ids.Sum(s => s.Length);

    /// <summary>Draws <paramref name="count"/> sentences.</summary>
    /// <param name="count">How many sentences (at least 1).</param>
    /// <param name="seed">Seed of libtorch's generator. Default 1234, as torch_bench.py.</param>
    /// <exception cref="ArgumentException"><paramref name="count"/> below 1.</exception>
    public static SyntheticSentences Generate(int count, int seed = DefaultSeed)
    {
        if (count < 1) throw new ArgumentException($"count must be ≥ 1; received {count}.", nameof(count));
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var lengths = randint(MinLength, MaxLength + 1, [count], generator: generator).data<long>().ToArray();
        var ids = new List<int[]>(count);
        var tags = new List<int[]>(count);
        foreach (var length in lengths)
        {
            var tokens = randint(1, Vocabulary, [length], generator: generator).data<long>().Select(v => (int)v).ToArray();
            ids.Add(tokens);
            tags.Add(tokens.Select((id, t) => (id + 3 * (t == 0 ? 0 : tokens[t - 1])) % TagCount).ToArray());
        }
        return new SyntheticSentences(ids, tags, seed);
    }

    /// <summary>The tokens as words for the ML.NET tagger ("w17" for id 17).</summary>
    public string[] Words(int sentence) => Ids[sentence].Select(id => $"w{id}").ToArray();

    /// <summary>The tags as names for the ML.NET tagger ("T3" for tag 3).</summary>
    public string[] TagNames(int sentence) => Tags[sentence].Select(tag => $"T{tag}").ToArray();
}
