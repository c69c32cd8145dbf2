using Microsoft.ML;
using MlNetRnn.Models;

namespace MlNetRnn.MlNet;

/// <summary>Sequence tagging trainers, reached as <c>mlContext.SequenceTagging().Trainers</c>.</summary>
public sealed class SequenceTaggingTrainers
{
    private readonly MLContext _mlContext;

    internal SequenceTaggingTrainers(MLContext mlContext) => _mlContext = mlContext;

    /// <summary>
    /// A Keras-style recurrent tagger configured by <paramref name="options"/>: word embedding (+ optional
    /// character encoder) → Dropout → recurrent layer(s) of <see cref="SequenceTaggerHyperParameters.Cell"/>
    /// (bidirectional by default) → <c>TimeDistributed(Dense(tags, softmax))</c>, trained with Adam on sparse
    /// categorical cross-entropy. The defaults are a character-CNN BiLSTM tagger.
    /// </summary>
    /// <exception cref="ArgumentException">An option is out of range (see <see cref="SequenceTaggerOptions.Validate"/>).</exception>
    public SequenceTaggerEstimator Recurrent(SequenceTaggerOptions options) => new(_mlContext, options);

    /// <summary>
    /// <see cref="Recurrent"/> with SimpleRNN cells (<see cref="SequenceTaggerHyperParameters.Cell"/> is set to
    /// <see cref="TaggerCell.Simple"/> in the estimator's copy; the other options as given). Named after the Keras
    /// layer (<c>SimpleRNN</c>) in ML.NET's casing, like <c>Trainers.SdcaMaximumEntropy</c>.
    /// </summary>
    /// <exception cref="ArgumentException">An option is out of range (see <see cref="SequenceTaggerOptions.Validate"/>).</exception>
    public SequenceTaggerEstimator SimpleRnn(SequenceTaggerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var simple = options.Clone();
        simple.Cell = TaggerCell.Simple;
        return new(_mlContext, simple);
    }

    /// <summary>As <see cref="SimpleRnn(SequenceTaggerOptions)"/> with the commonly tuned settings; every
    /// other option keeps its default and the seed comes from the context.</summary>
    /// <param name="labelColumnName">Training-only tags column, one per token (vector of text or of key). Default <c>"Tags"</c>.</param>
    /// <param name="tokensColumnName">Tokens column (vector of text). Default <c>"Tokens"</c>.</param>
    /// <param name="predictedLabelColumnName">Output column of predicted tags. Default <c>"PredictedTags"</c>.</param>
    /// <param name="epochs">Training epochs. Default: <see cref="SequenceTaggerHyperParameters.Epochs"/>'s.</param>
    /// <param name="units">SimpleRNN units (per direction). Default: <see cref="SequenceTaggerHyperParameters.Units"/>'s.</param>
    /// <param name="embeddingSize">Word embedding width. Default: <see cref="SequenceTaggerHyperParameters.EmbeddingSize"/>'s.</param>
    /// <param name="batchSize">Sentences per batch. Default: <see cref="SequenceTaggerHyperParameters.BatchSize"/>'s.</param>
    /// <param name="learningRate">Adam learning rate. Default: <see cref="SequenceTaggerHyperParameters.LearningRate"/>'s.</param>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public SequenceTaggerEstimator SimpleRnn(
        string labelColumnName = "Tags",
        string tokensColumnName = "Tokens",
        string predictedLabelColumnName = "PredictedTags",
        int epochs = SequenceTaggerHyperParameters.DefaultEpochs,
        int units = SequenceTaggerHyperParameters.DefaultUnits,
        int embeddingSize = SequenceTaggerHyperParameters.DefaultEmbeddingSize,
        int batchSize = SequenceTaggerHyperParameters.DefaultBatchSize,
        double learningRate = SequenceTaggerHyperParameters.DefaultLearningRate) =>
        SimpleRnn(new SequenceTaggerOptions
        {
            LabelColumnName = labelColumnName,
            TokensColumnName = tokensColumnName,
            PredictedLabelColumnName = predictedLabelColumnName,
            Epochs = epochs,
            Units = units,
            EmbeddingSize = embeddingSize,
            BatchSize = batchSize,
            LearningRate = learningRate,
        });
}
