using Microsoft.ML;

namespace MlNetRnn.MlNet;

/// <summary>Hangs the sequence tagging catalog off <see cref="MLContext"/> (ML.NET's own catalogs do not
/// expose their environment, so the extension takes the context itself).</summary>
public static class SequenceTaggingMLContextExtensions
{
    /// <summary>The sequence tagging catalog of <paramref name="mlContext"/>.</summary>
    public static SequenceTaggingCatalog SequenceTagging(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return new SequenceTaggingCatalog(mlContext);
    }
}
