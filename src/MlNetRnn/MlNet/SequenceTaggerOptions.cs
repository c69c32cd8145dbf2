using System.Globalization;
using MlNetRnn.Models;

namespace MlNetRnn.MlNet;

/// <summary>
/// Options of the ML.NET sequence tagger: the network's hyper-parameters, the names of the columns it reads
/// and writes, and how training is seeded, validated, observed and cancelled.
/// </summary>
/// <remarks>
/// Input: <see cref="TokensColumnName"/> (vector of text, one sentence per row) and, at training time only,
/// <see cref="LabelColumnName"/> (vector of text, or vector of key whose key values are text, same length).
/// Output: <see cref="PredictedLabelColumnName"/> (vector of text), <see cref="ScoreColumnName"/> and
/// <see cref="ProbabilitiesColumnName"/> (vectors of float).
/// </remarks>
public class SequenceTaggerOptions : SequenceTaggerHyperParameters
{
    /// <summary>Largest <see cref="ValidationFraction"/>.</summary>
    public const double MaxValidationFraction = 0.5;

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
    /// (tokens × tags), tags in <see cref="SequenceTaggerModelParameters.TagNames"/> order; a vector of float.
    /// Default <c>"Probabilities"</c>.</summary>
    public string ProbabilitiesColumnName { get; set; } = "Probabilities";

    /// <summary>
    /// Seed of the network (initial weights, shuffling, token dropout, the <see cref="ValidationFraction"/>
    /// split). Default null: drawn from the <c>MLContext</c>'s random source, so <c>new MLContext(seed: 1)</c>
    /// repeats a model exactly and another context seed gives another model, as with ML.NET's own trainers.
    /// The seed used is kept in the model (<see cref="SequenceTaggerModelParameters.HyperParameters"/>).
    /// </summary>
    public new int? Seed { get; set; }

    /// <summary>
    /// Fraction of the training sentences held out, by a seeded shuffle, as validation data: scored after
    /// every epoch (<see cref="EpochReport.DevAccuracy"/>, the context's log) and used by
    /// <see cref="SequenceTaggerHyperParameters.EarlyStoppingPatience"/>; the network never trains on them.
    /// Works inside <c>pipeline.Append(...)</c>, where <c>Fit(train, validation)</c> cannot be called.
    /// In [0, <see cref="MaxValidationFraction"/>]; default 0: no split, every sentence trains.
    /// </summary>
    public double ValidationFraction { get; set; }

    /// <summary>Optional progress callback, called after every training epoch (the same figures also go
    /// to <c>MLContext.Log</c>). Not persisted.</summary>
    public Action<EpochReport>? OnEpoch { get; set; }

    /// <summary>Optional progress callback, called after every training batch with the epoch's running loss
    /// (for progress bars; not logged). Default none. Not persisted.</summary>
    public Action<BatchReport>? OnBatch { get; set; }

    /// <summary>Cancels training: checked between epochs (and between batches where the network supports
    /// it); cancelling makes <c>Fit</c> throw <see cref="OperationCanceledException"/> and no model is
    /// produced. Default: none. Not persisted.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Checks the hyper-parameters, <see cref="ValidationFraction"/> and the column names.</summary>
    /// <inheritdoc cref="SequenceTaggerHyperParameters.Validate"/>
    public override void Validate(Func<string, string>? displayName = null)
    {
        base.Validate(displayName);
        var check = new RangeCheck(displayName);
        check.That(ValidationFraction is >= 0 and <= MaxValidationFraction, ValidationFraction,
            string.Create(CultureInfo.InvariantCulture, $"in [0, {MaxValidationFraction}]"), nameof(ValidationFraction));
        foreach (var (name, value) in new[]
                 {
                     (nameof(TokensColumnName), TokensColumnName),
                     (nameof(LabelColumnName), LabelColumnName),
                     (nameof(PredictedLabelColumnName), PredictedLabelColumnName),
                     (nameof(ScoreColumnName), ScoreColumnName),
                     (nameof(ProbabilitiesColumnName), ProbabilitiesColumnName),
                 })
        {
            if (string.IsNullOrWhiteSpace(value))
                throw new ArgumentException($"{displayName?.Invoke(name) ?? name} must name a column; received '{value}'.", name);
        }
        string[] outputs = [PredictedLabelColumnName, ScoreColumnName, ProbabilitiesColumnName];
        if (outputs.Distinct(StringComparer.Ordinal).Count() != outputs.Length)
            throw new ArgumentException(
                $"{nameof(PredictedLabelColumnName)}, {nameof(ScoreColumnName)} and {nameof(ProbabilitiesColumnName)} must differ; " +
                $"received '{PredictedLabelColumnName}', '{ScoreColumnName}', '{ProbabilitiesColumnName}'.", nameof(ScoreColumnName));
    }

    internal SequenceTaggerOptions Clone() => (SequenceTaggerOptions)MemberwiseClone();
}
