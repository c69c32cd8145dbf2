using System.Globalization;
using System.Text;
using MlNetRnn.Data;
using MlNetRnn.Models;
using MlNetRnn.Onnx.Proto;
using MlNetRnn.Tagging;

namespace MlNetRnn.Onnx;

public static partial class OnnxExporter
{
    /// <summary>Metadata key of the exported tagger's model id (<c>SequenceTaggerTransformer.ModelId</c>, kept in the
    /// model file).</summary>
    public const string ModelIdKey = "mlnetrnn.model_id";

    /// <summary>
    /// The ONNX form of a trained <see cref="SequenceTaggerNetwork"/>, with the arguments of
    /// <see cref="ExportTagger(Stream, Model, IReadOnlyList{string}, bool, IReadOnlyList{string}, IReadOnlyDictionary{int, int}?, int, int, IReadOnlyDictionary{string, string}?, string)"/>
    /// taken from the network itself: its vocabulary, lower-casing, tags, character vocabulary (each entry one
    /// Unicode scalar; entry k has id k + 2, unknown characters <see cref="Vocabulary.OutOfVocabularyId"/>) and
    /// <see cref="SequenceTaggerHyperParameters.MaxCharsPerToken"/>, and its word-boundary marker ids when it was trained
    /// with <see cref="SequenceTaggerHyperParameters.CharBoundaryMarkers"/>.
    /// </summary>
    /// <param name="network">The trained tagger.</param>
    /// <param name="modelId">Its model id, recorded as <see cref="ModelIdKey"/>.</param>
    internal static OnnxModel BuildTagger(SequenceTaggerNetwork network, string modelId)
    {
        ArgumentNullException.ThrowIfNull(network);
        var hp = network.HyperParameters;
        var charIds = network.CharVocabulary is { } chars ? CodePointIds(chars) : null;
        var metadata = new Dictionary<string, string> { [ModelIdKey] = modelId };
        (int, int)? markers = network.CharVocabulary is { } vocabulary && hp.CharBoundaryMarkers
            ? (TokenEncoder.BeginOfWordId(vocabulary), TokenEncoder.EndOfWordId(vocabulary))
            : null;
        return BuildTagger(network.Model, network.Vocabulary.Tokens, hp.Lowercase, network.TagNames, charIds,
            Vocabulary.OutOfVocabularyId, charIds is null ? 0 : hp.MaxCharsPerToken, metadata, DefaultLowercaseLocale, markers);
    }

    // Code point → id of a character vocabulary whose entries are single Unicode scalars.
    private static Dictionary<int, int> CodePointIds(Vocabulary chars)
    {
        var ids = new Dictionary<int, int>(chars.Tokens.Count);
        for (int k = 0; k < chars.Tokens.Count; k++)
        {
            var entry = chars.Tokens[k];
            if (!Rune.TryGetRuneAt(entry, 0, out var rune) || rune.Utf16SequenceLength != entry.Length)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"Character vocabulary entry {k} is '{entry}'; expected one Unicode scalar."));
            }
            ids.Add(rune.Value, k + 2);
        }
        return ids;
    }
}
