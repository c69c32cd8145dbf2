namespace MlNetRnn.Pipelines.Commands;

/// <summary>
/// The word vectors <c>train</c> starts its word embedding from by default: 23,695 uncased English words in 100
/// dimensions, from the input embeddings of a MiniLM sentence-embedding model (datasets/VECTORS.md says how they are made
/// and under which licences). Built next to the executable from <c>datasets/minilm-uncased-100d.vec.gz</c>.
/// </summary>
internal static class BundledWordVectors
{
    /// <summary>Their dimension: the default is used only with an embedding this wide.</summary>
    public const int Dimension = 100;

    /// <summary>What <c>--embeddings</c> takes to train without pretrained vectors.</summary>
    public const string None = "none";

    /// <summary>Where the build puts them.</summary>
    public static string Path => System.IO.Path.Combine(AppContext.BaseDirectory, "vectors", "minilm-uncased-100d.vec.gz");

    /// <summary>The vectors file a training run uses: <paramref name="option"/> as given, none for <see cref="None"/>,
    /// and without the option the bundled vectors when the embedding is <see cref="Dimension"/> wide.</summary>
    public static string? Resolve(string? option, int embeddingSize) => option switch
    {
        null => embeddingSize == Dimension ? Path : null,
        _ when option.Equals(None, StringComparison.OrdinalIgnoreCase) => null,
        _ => option,
    };
}
