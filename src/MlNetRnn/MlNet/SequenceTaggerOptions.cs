using MlNetRnn.Models;

namespace MlNetRnn.MlNet;

/// <summary>
/// Options of the ML.NET sequence tagger: the network's hyper-parameters plus the names of the columns
/// it reads and writes.
/// </summary>
/// <remarks>
/// Input: <see cref="TokensColumnName"/> (vector of text, one sentence per row) and, at training time only,
/// <see cref="LabelColumnName"/> (vector of text, or vector of key whose key values are text, same length).
/// Output: <see cref="PredictedLabelColumnName"/> (vector of text), <see cref="ScoreColumnName"/> and
/// <see cref="ProbabilitiesColumnName"/> (vectors of float).
/// </remarks>
public class SequenceTaggerOptions : SequenceTaggerHyperParameters
{
    /// <summary>Input column: the tokens of a sentence, a (variable-length) vector of text. Default <c>"Tokens"</c>.</summary>
    public string TokensColumnName { get; set; } = "Tokens";

    /// <summary>Training-only input column: one tag per token, a vector of text or a vector of key whose key
    /// values are text (as produced by <c>MapValueToKey</c>). Not needed at prediction time. Default <c>"Tags"</c>.</summary>
    public string LabelColumnName { get; set; } = "Tags";

    /// <summary>Output column: the predicted tag of each token, a vector of text. Default <c>"PredictedTags"</c>.</summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedTags";

    /// <summary>Output column: for each token, the probability of the chosen tag, a vector of float of the
    /// sentence's length. Default <c>"Score"</c>.</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>Output column: the full per-token tag distribution, flattened row-major as
    /// (tokens × tags), tags in <see cref="SequenceTaggerTransformer.TagNames"/> order; a vector of float.
    /// Default <c>"Probabilities"</c>.</summary>
    public string ProbabilitiesColumnName { get; set; } = "Probabilities";

    /// <summary>Optional progress callback, called after every training epoch. Not persisted.</summary>
    public Action<EpochReport>? OnEpoch { get; set; }

    internal SequenceTaggerOptions Clone() => (SequenceTaggerOptions)MemberwiseClone();
}
