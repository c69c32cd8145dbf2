namespace MlNetRnn.MlNet;

/// <summary>
/// An output row of a sequence tagger with the default column names, for
/// <c>mlContext.Model.CreatePredictionEngine&lt;TInput, SequenceTaggerPrediction&gt;(model)</c> or
/// <c>mlContext.Data.CreateEnumerable&lt;SequenceTaggerPrediction&gt;(scored, …)</c>.
/// </summary>
/// <remarks>
/// An empty sentence gives empty arrays here. ML.NET leaves a zero-length vector's property untouched, so
/// an output class of your own whose array properties are not initialised (<c>= []</c>) gets <c>null</c>
/// for an empty sentence.
/// </remarks>
public sealed class SequenceTaggerPrediction
{
    /// <summary>The predicted tag of each token (<see cref="SequenceTaggerOptions.PredictedLabelColumnName"/>).</summary>
    public string[] PredictedTags { get; set; } = [];

    /// <summary>For each token, the probability of its predicted tag (<see cref="SequenceTaggerOptions.ScoreColumnName"/>).</summary>
    public float[] Score { get; set; } = [];

    /// <summary>The per-token tag distribution, (tokens × tags) row-major, tags in
    /// <see cref="SequenceTaggerModelParameters.TagNames"/> order (<see cref="SequenceTaggerOptions.ProbabilitiesColumnName"/>).</summary>
    public float[] Probabilities { get; set; } = [];
}
