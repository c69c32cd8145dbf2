using MlNetRnn.Models;

namespace MlNetRnn.MlNet;

/// <summary>
/// What a trained sequence tagger holds, for a fitted <see cref="SequenceTaggerTransformer"/>
/// (<see cref="SequenceTaggerTransformer.Model"/>) or a model read back with <c>mlContext.Model.Load</c>
/// (<c>mlContext.SequenceTagging().GetModelParameters(loaded)</c>): tag set, vocabulary, hyper-parameters
/// and architecture. Read-only.
/// </summary>
public sealed class SequenceTaggerModelParameters
{
    private readonly SequenceTaggerNetwork _network;

    internal SequenceTaggerModelParameters(SequenceTaggerNetwork network) => _network = network;

    /// <summary>The tag set, in class-index order: the order of the <c>Probabilities</c> column's inner
    /// dimension (ordinal sort of the training tags).</summary>
    public IReadOnlyList<string> TagNames => _network.TagNames;

    /// <summary>The known tokens, in id order (ids 2, 3, …; 0 is padding and 1 out-of-vocabulary).</summary>
    public IReadOnlyList<string> Vocabulary => _network.Vocabulary.Tokens;

    /// <summary>Rows of the embedding: the known tokens plus the padding and out-of-vocabulary ids.</summary>
    public int VocabularySize => _network.Vocabulary.Size;

    /// <summary>A copy of the hyper-parameters the network was trained with, including the seed it used.</summary>
    public SequenceTaggerHyperParameters HyperParameters =>
        _network.HyperParameters.CopyHyperParameters(_network.HyperParameters.Seed);

    /// <summary>Total scalar weights of the network.</summary>
    public long ParameterCount => _network.Model.CountParams();

    /// <summary>The network's architecture as Keras describes it (<c>model.to_json()</c>): every layer's config and
    /// how the layers connect. <c>Model.FromJson</c> rebuilds it (without the weights).</summary>
    public string Architecture => _network.Model.ToJson();

    /// <summary>The Keras summary table of the network: layers, output shapes, parameter counts.</summary>
    public string Summary => _network.Model.Summary();
}
