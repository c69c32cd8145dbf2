using Microsoft.ML;

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
}
