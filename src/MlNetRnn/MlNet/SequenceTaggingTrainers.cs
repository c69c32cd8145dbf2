using Microsoft.ML;

namespace MlNetRnn.MlNet;

/// <summary>Sequence tagging trainers, reached as <c>mlContext.SequenceTagging().Trainers</c>.</summary>
public sealed class SequenceTaggingTrainers
{
    private readonly MLContext _mlContext;

    internal SequenceTaggingTrainers(MLContext mlContext) => _mlContext = mlContext;

    /// <summary>
    /// A Keras-style tagger: <c>Embedding → SimpleRNN → TimeDistributed(Dense(tags, softmax))</c>, trained with
    /// Adam on sparse categorical cross-entropy. Named after the Keras layer (<c>SimpleRNN</c>) in ML.NET's
    /// casing, like <c>Trainers.SdcaMaximumEntropy</c>.
    /// </summary>
    public SequenceTaggerEstimator SimpleRnn(SequenceTaggerOptions options) => new(_mlContext, options);

    /// <summary>As <see cref="SimpleRnn(SequenceTaggerOptions)"/> with default hyper-parameters except those given.</summary>
    public SequenceTaggerEstimator SimpleRnn(
        string tokensColumnName = "Tokens", string labelColumnName = "Tags", string predictedLabelColumnName = "PredictedTags",
        int epochs = 10) =>
        new(_mlContext, new SequenceTaggerOptions
        {
            TokensColumnName = tokensColumnName,
            LabelColumnName = labelColumnName,
            PredictedLabelColumnName = predictedLabelColumnName,
            Epochs = epochs,
        });
}
