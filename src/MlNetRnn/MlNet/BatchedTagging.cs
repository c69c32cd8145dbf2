using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MlNetRnn.Models;

namespace MlNetRnn.MlNet;

/// <summary>
/// <c>Transform</c> of a model holding taggers, with each tagger's stock chain (see <see cref="TaggerChain"/>) run as
/// a <see cref="BatchedTaggerDataView"/> instead of row by row; every other transformer runs as itself, nested chains
/// included.
/// </summary>
internal static class BatchedTagging
{
    /// <summary>The tagger chain's steps: CopyColumns (tokens), key CustomMapping, ValueMapping (payload), tagging
    /// CustomMapping, three CopyColumns (outputs), DropColumns (helpers).</summary>
    private const int SegmentLength = 8;

    /// <summary>Where the three CopyColumns that name the outputs sit in the segment.</summary>
    private const int FirstOutputCopy = 4;

    /// <summary>Transforms <paramref name="input"/> through <paramref name="model"/> (lazily, as <c>Transform</c> does).</summary>
    /// <param name="model">A transformer; a chain is walked element by element.</param>
    /// <param name="input">The data.</param>
    /// <param name="networkOf">The network of a tagger segment, from its ValueMapping (called on the first block read).</param>
    public static IDataView Transform(ITransformer model, IDataView input, Func<ValueMappingTransformer, SequenceTaggerNetwork> networkOf)
    {
        if (model is not IEnumerable<ITransformer> chain) return model.Transform(input);
        var elements = chain.ToArray();
        var data = input;
        for (int i = 0; i < elements.Length;)
        {
            if (IsTaggerSegment(elements, i))
            {
                data = TransformSegment(elements.AsSpan(i, SegmentLength), data, networkOf);
                i += SegmentLength;
            }
            else
            {
                data = Transform(elements[i], data, networkOf);
                i++;
            }
        }
        return data;
    }

    private static bool IsTaggerSegment(ITransformer[] elements, int start) =>
        start + SegmentLength <= elements.Length
        && elements[start] is ColumnCopyingTransformer
        && elements[start + 1] is CustomMappingTransformer<SequenceTaggerKeyInput, SequenceTaggerKeyOutput>
        && elements[start + 2] is ValueMappingTransformer
        && elements[start + 3] is CustomMappingTransformer<SequenceTaggerMappingInput, SequenceTaggerMappingOutput>
        && elements[start + 4] is ColumnCopyingTransformer
        && elements[start + 5] is ColumnCopyingTransformer
        && elements[start + 6] is ColumnCopyingTransformer
        && elements[start + 7] is ColumnSelectingTransformer;

    private static IDataView TransformSegment(ReadOnlySpan<ITransformer> segment, IDataView input,
        Func<ValueMappingTransformer, SequenceTaggerNetwork> networkOf)
    {
        var source = segment[0].Transform(input);
        var rowwise = source;
        var outputNames = new List<string>();
        for (int step = 1; step < segment.Length; step++)
        {
            rowwise = segment[step].Transform(rowwise);
            // Each output CopyColumns appends its column: the last one names it.
            if (step >= FirstOutputCopy && step < FirstOutputCopy + 3) outputNames.Add(rowwise.Schema[rowwise.Schema.Count - 1].Name);
        }
        var valueMapping = (ValueMappingTransformer)segment[2];
        return BatchedTaggerDataView.Create(source, rowwise, new Lazy<SequenceTaggerNetwork>(() => networkOf(valueMapping)), outputNames);
    }
}
