using Microsoft.ML;
using MlNetRnn.Evaluation;

namespace MlNetRnn.MlNet;

/// <summary>The sequence tagging catalog: <c>mlContext.SequenceTagging()</c>.</summary>
public sealed class SequenceTaggingCatalog
{
    internal SequenceTaggingCatalog(MLContext mlContext)
    {
        MLContext = mlContext;
        Trainers = new SequenceTaggingTrainers(mlContext);
    }

    /// <summary>The context this catalog belongs to.</summary>
    public MLContext MLContext { get; }

    /// <summary>Trainers of sequence taggers.</summary>
    public SequenceTaggingTrainers Trainers { get; }

    /// <summary>
    /// Scores predicted tags against gold tags, row by row (like <c>mlContext.MulticlassClassification.Evaluate</c>).
    /// Each column may be a vector of text or a vector of key with text key values.
    /// </summary>
    /// <param name="scored">Data with both columns, usually the output of a tagger's <c>Transform</c>.</param>
    /// <param name="labelColumnName">Gold tags, one per token.</param>
    /// <param name="predictedLabelColumnName">Predicted tags, one per token.</param>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing (the message names it).</exception>
    /// <exception cref="ArgumentException">A column has the wrong type (the message names it).</exception>
    /// <exception cref="InvalidOperationException">A row's two columns differ in length, or a key is missing
    /// (the message names the 0-based row).</exception>
    public SequenceTaggingMetrics Evaluate(
        IDataView scored, string labelColumnName = "Tags", string predictedLabelColumnName = "PredictedTags") =>
        SequenceTaggingEvaluator.Evaluate(scored, labelColumnName, predictedLabelColumnName);

    /// <summary>
    /// What the sequence tagger inside <paramref name="model"/> holds (tag set, vocabulary, hyper-parameters,
    /// architecture): for a <see cref="SequenceTaggerTransformer"/>, a pipeline containing one, or the
    /// <see cref="ITransformer"/> that <c>mlContext.Model.Load</c> returns. With several taggers, the first in
    /// pipeline order. Decodes a loaded model's payload once per model.
    /// </summary>
    /// <exception cref="ArgumentException">The model holds no MlNetRnn sequence tagger.</exception>
    /// <exception cref="InvalidDataException">The tagger's payload is damaged, foreign or of a newer format.</exception>
    public SequenceTaggerModelParameters GetModelParameters(ITransformer model) => FindTagger(model);

    internal static SequenceTaggerModelParameters FindTagger(ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is SequenceTaggerTransformer tagger) return tagger.Model;
        var networks = TaggerChain.ResolveNetworks(model);
        if (networks.Count == 0)
            throw new ArgumentException(
                $"the model ({model.GetType().Name}) holds no MlNetRnn sequence tagger", nameof(model));
        return new SequenceTaggerModelParameters(networks[0]);
    }
}
