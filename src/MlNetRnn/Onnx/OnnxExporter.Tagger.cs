using System.Text.Json;
using MlNetRnn.Data;
using MlNetRnn.Models;
using MlNetRnn.Onnx.Proto;

namespace MlNetRnn.Onnx;

public static partial class OnnxExporter
{
    /// <summary>The locale ONNX Runtime's StringNormalizer lower-cases with (glibc's name; built into glibc 2.35+).</summary>
    public const string DefaultLowercaseLocale = "C.UTF-8";

    /// <summary>
    /// Writes a sequence tagger as one ONNX file that takes strings and returns tags, with its vocabularies inside
    /// (ai.onnx.ml LabelEncoder), so a caller needs no side files.
    /// </summary>
    /// <remarks>
    /// <para>Inputs: <c>tokens</c> string (batch, time), right-padded with <c>""</c>; and, only when the network reads
    /// characters, <c>chars</c> int64 (batch, time, <paramref name="maxChars"/>): each token's Unicode code points (scalar
    /// values, of the token as written), cut as the native tagger cuts them: a token of more than <c>m</c> =
    /// <paramref name="maxChars"/> keeps its first ⌈m/2⌉ and its last ⌊m/2⌋; then padded with 0 (a padding token has
    /// only zeros). See <see cref="CharsRule"/>.</para>
    /// <para>Outputs: <c>tags</c> string (batch, time), <c>""</c> at padding; <c>probabilities</c> float32
    /// (batch, time, tags) in <paramref name="tags"/> order, zero at padding.</para>
    /// <para>Inside: tokens → StringNormalizer LOWER (when <paramref name="lowercase"/>) → LabelEncoder to ids
    /// (<c>""</c> → <see cref="Vocabulary.PaddingId"/>, unknown → <see cref="Vocabulary.OutOfVocabularyId"/>); code
    /// points → LabelEncoder to character ids (0 → 0, unknown → <paramref name="unknownCharId"/>; keys are compared as
    /// float32, exact for every code point); the network; ArgMax → LabelEncoder to tag names. (A
    /// <see cref="SequenceTaggerNetwork"/> trained with word-boundary markers is exported with them added inside the
    /// graph: its begin-of-word id before each token's characters and its end-of-word id after the last.)</para>
    /// <para>Metadata (<c>metadata_props</c>, also spelled out in <c>doc_string</c>): <c>mlnetrnn.tags</c> (JSON array,
    /// class order), <c>mlnetrnn.lowercase</c>, <c>mlnetrnn.max_chars</c>, <c>mlnetrnn.version</c>, plus
    /// <paramref name="metadata"/>.</para>
    /// </remarks>
    /// <param name="output">Where the file's bytes go; left open.</param>
    /// <param name="network">The built network: one input of per-sample shape (time) for word ids, optionally one of
    /// (time, chars) for character ids; one output (batch, time, tags) of probabilities.</param>
    /// <param name="knownWords">Known tokens in id order, as <see cref="Vocabulary.Tokens"/>: token k has id k + 2
    /// (0 is padding, 1 unknown). Must not contain <c>""</c>.</param>
    /// <param name="lowercase">Whether tokens are lower-cased before lookup (as the tagger did in training).</param>
    /// <param name="tags">Tag names in class order; as many as the network's last output axis.</param>
    /// <param name="charIds">Code point (1 to 0x10FFFF) → character id (≥ 1) for a network with a character input;
    /// null for a word-only network. Default null.</param>
    /// <param name="unknownCharId">Id of a code point not in <paramref name="charIds"/>. Default 1.</param>
    /// <param name="maxChars">Characters per token the <c>chars</c> input holds; must match a fixed size of the
    /// network's character axis. Ignored without <paramref name="charIds"/>. Default 0.</param>
    /// <param name="metadata">Extra <c>metadata_props</c> entries. Default none.</param>
    /// <param name="lowercaseLocale">The locale for StringNormalizer. Default <see cref="DefaultLowercaseLocale"/>.</param>
    /// <exception cref="ArgumentException">The vocabularies, tags or sizes do not fit the network.</exception>
    /// <exception cref="NotSupportedException">A layer of the network has no ONNX mapping.</exception>
    public static void ExportTagger(
        Stream output, Model network, IReadOnlyList<string> knownWords, bool lowercase, IReadOnlyList<string> tags,
        IReadOnlyDictionary<int, int>? charIds = null, int unknownCharId = 1, int maxChars = 0,
        IReadOnlyDictionary<string, string>? metadata = null, string lowercaseLocale = DefaultLowercaseLocale)
    {
        ArgumentNullException.ThrowIfNull(output);
        var onnx = BuildTagger(network, knownWords, lowercase, tags, charIds, unknownCharId, maxChars, metadata, lowercaseLocale, null);
        OnnxWriter.Write(onnx, output);
    }

    /// <summary>Like <see cref="ExportTagger(Stream, Model, IReadOnlyList{string}, bool, IReadOnlyList{string}, IReadOnlyDictionary{int, int}?, int, int, IReadOnlyDictionary{string, string}?, string)"/>,
    /// to a file written atomically.</summary>
    public static void ExportTagger(
        string path, Model network, IReadOnlyList<string> knownWords, bool lowercase, IReadOnlyList<string> tags,
        IReadOnlyDictionary<int, int>? charIds = null, int unknownCharId = 1, int maxChars = 0,
        IReadOnlyDictionary<string, string>? metadata = null, string lowercaseLocale = DefaultLowercaseLocale)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var onnx = BuildTagger(network, knownWords, lowercase, tags, charIds, unknownCharId, maxChars, metadata, lowercaseLocale, null);
        SafeFile.WriteAtomically(path, stream => OnnxWriter.Write(onnx, stream));
    }

    // wordBoundaryIds: the character ids of the begin-of-word and end-of-word markers the network was trained with around
    // each token's characters (both ≥ 1, used by no character), or null for none; ignored without charIds. Only the
    // SequenceTaggerNetwork overload passes them.
    internal static OnnxModel BuildTagger(
        Model network, IReadOnlyList<string> knownWords, bool lowercase, IReadOnlyList<string> tags,
        IReadOnlyDictionary<int, int>? charIds, int unknownCharId, int maxChars,
        IReadOnlyDictionary<string, string>? metadata, string lowercaseLocale, (int Begin, int End)? wordBoundaryIds)
    {
        var graph = RequireGraph(network);
        ArgumentNullException.ThrowIfNull(knownWords);
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentException.ThrowIfNullOrEmpty(lowercaseLocale);
        var (wordInput, charInput) = TaggerInputs(network, charIds is not null, maxChars);
        CheckTagger(network, knownWords, tags, charIds, unknownCharId, wordBoundaryIds);

        const string scope = "tagger";
        var builder = new OnnxGraphBuilder();
        var tokens = builder.Reserve("tokens");
        var inputs = new List<OnnxValueInfo>
        {
            new(tokens, OnnxDataType.String, [OnnxDimension.Named("batch"), OnnxDimension.Named("time")],
                "Tokens, right-padded with \"\"."),
        };
        string? chars = null;
        if (charInput >= 0)
        {
            chars = builder.Reserve("chars");
            inputs.Add(new OnnxValueInfo(chars, OnnxDataType.Int64,
                [OnnxDimension.Named("batch"), OnnxDimension.Named("time"), OnnxDimension.Fixed(maxChars)],
                $"Each token's Unicode code points; {CharsRule(maxChars)}; padded with 0."));
        }

        var normalized = tokens;
        if (lowercase)
        {
            // StringNormalizer takes [C] or [1, C]: flatten, lower-case, restore the shape.
            var flat = builder.Op(scope, "Reshape", [tokens, builder.Int64s([-1])]);
            var lowered = builder.Op(scope, "StringNormalizer", [flat],
                OnnxAttribute.String("case_change_action", "LOWER"), OnnxAttribute.Int("is_case_sensitive", 1),
                OnnxAttribute.String("locale", lowercaseLocale));
            normalized = builder.Op(scope, "Reshape", [lowered, builder.Op(scope, "Shape", [tokens])]);
        }
        var wordIds = builder.MlOp(scope, "LabelEncoder", [normalized],
            OnnxAttribute.Strings("keys_strings", ["", .. knownWords]),
            OnnxAttribute.Ints("values_int64s", Enumerable.Range(0, knownWords.Count + 1).Select(i => i == 0 ? (long)Vocabulary.PaddingId : i + 1L)),
            OnnxAttribute.Int("default_int64", Vocabulary.OutOfVocabularyId));

        var networkInputs = new string[graph.Inputs.Count];
        networkInputs[wordInput] = wordIds;
        if (chars is not null)
        {
            var sorted = charIds!.OrderBy(p => p.Key).ToArray();
            var charIdsOfInput = builder.MlOp(scope, "LabelEncoder", [builder.Cast(scope, chars, OnnxDataType.Float)],
                OnnxAttribute.Floats("keys_floats", [0f, .. sorted.Select(p => (float)p.Key)]),
                OnnxAttribute.Ints("values_int64s", [0L, .. sorted.Select(p => (long)p.Value)]),
                OnnxAttribute.Int("default_int64", unknownCharId));
            networkInputs[charInput] = wordBoundaryIds is { } markers
                ? WithWordBoundaries(builder, scope, chars, charIdsOfInput, maxChars, markers)
                : charIdsOfInput;
        }
        var probabilities = EmitNetwork(builder, network, networkInputs)[0].Name;

        var real = builder.Op(scope, "Not", [builder.Op(scope, "Equal", [wordIds, builder.Int64s([Vocabulary.PaddingId], scalar: true)])]);
        var best = builder.Op(scope, "ArgMax", [probabilities], OnnxAttribute.Int("axis", -1), OnnxAttribute.Int("keepdims", 0));
        var classIds = builder.Op(scope, "Where", [real, best, builder.Int64s([-1], scalar: true)]);
        var tagNames = builder.MlOp(scope, "LabelEncoder", [classIds],
            OnnxAttribute.Ints("keys_int64s", Enumerable.Range(0, tags.Count).Select(i => (long)i)),
            OnnxAttribute.Strings("values_strings", tags),
            OnnxAttribute.String("default_string", ""));
        builder.Alias(tagNames, builder.Reserve("tags"));
        builder.Alias(builder.ZeroWhereFalse(scope, builder.Unsqueeze(scope, real, 2), probabilities), builder.Reserve("probabilities"));
        var outputs = new OnnxValueInfo[]
        {
            new("tags", OnnxDataType.String, [OnnxDimension.Named("batch"), OnnxDimension.Named("time")], "Tag names; \"\" at padding."),
            new("probabilities", OnnxDataType.Float, [OnnxDimension.Named("batch"), OnnxDimension.Named("time"), OnnxDimension.Fixed(tags.Count)],
                "Probability of each tag (metadata mlnetrnn.tags gives the order); 0 at padding."),
        };

        var entries = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            ["mlnetrnn.tags"] = JsonSerializer.Serialize(tags),
            ["mlnetrnn.lowercase"] = lowercase ? $"true (StringNormalizer LOWER, locale {lowercaseLocale})" : "false",
            ["mlnetrnn.max_chars"] = (chars is null ? 0 : maxChars).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var doc =
            $"MlNetRnn {LibraryVersion} sequence tagger. Inputs: tokens string [batch, time], right-padded with \"\"" +
            (chars is null ? "" : $"; chars int64 [batch, time, {maxChars}], each token's Unicode code points ({CharsRule(maxChars)}), 0-padded") +
            $". Outputs: tags string [batch, time] (\"\" at padding); probabilities float [batch, time, {tags.Count}]. " +
            $"Tokens are {(lowercase ? "lower-cased" : "not lower-cased")} before lookup. Tags in order: {entries["mlnetrnn.tags"]}.";
        return Assemble(builder, "mlnetrnn_tagger", inputs, outputs, doc, entries);
    }

    // (batch, time, maxChars) character ids → (batch, time, maxChars + 2): [begin, ids…, end, 0…] for a token of n ≥ 1
    // characters (end at position n + 1), all zeros for a padding token; as TokenEncoder.CharIds writes them.
    private static string WithWordBoundaries(OnnxGraphBuilder builder, string scope, string codePoints, string ids, int maxChars,
        (int Begin, int End) markers)
    {
        var zero = builder.Int64s([0], scalar: true);
        var lengths = builder.Op(scope, "ReduceSum",
            [builder.Cast(scope, builder.Op(scope, "Not", [builder.Op(scope, "Equal", [codePoints, zero])]), OnnxDataType.Int64), builder.Int64s([-1])],
            OnnxAttribute.Int("keepdims", 1));
        var isToken = builder.Op(scope, "Greater", [lengths, zero]);
        var begin = builder.Op(scope, "Where", [isToken, builder.Int64s([markers.Begin], scalar: true), zero]);
        var after = builder.Op(scope, "Mul", [begin, zero]);
        var framed = builder.Op(scope, "Concat", [begin, ids, after], OnnxAttribute.Int("axis", -1));
        var positions = builder.Int64s(Enumerable.Range(0, maxChars + 2).Select(i => (long)i).ToArray());
        var isEnd = builder.Op(scope, "And",
            [builder.Op(scope, "Equal", [positions, builder.Op(scope, "Add", [lengths, builder.Int64s([1], scalar: true)])]), isToken]);
        return builder.Op(scope, "Where", [isEnd, builder.Int64s([markers.End], scalar: true), framed]);
    }

    /// <summary>How a token longer than <paramref name="maxChars"/> is cut for the <c>chars</c> input, in words (as the
    /// native tagger's encoder cuts it: prefixes and suffixes both survive).</summary>
    internal static string CharsRule(int maxChars) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"a token of more than {maxChars} keeps its first {maxChars - maxChars / 2} and its last {maxChars / 2}");

    // Which network input reads word ids (per-sample (time)) and which reads character ids (per-sample (time, chars)).
    private static (int Word, int Char) TaggerInputs(Model network, bool hasChars, int maxChars)
    {
        var shapes = network.InputShapes;
        int word = shapes.Select((s, i) => (s, i)).Where(p => p.s.Length == 1).Select(p => p.i).DefaultIfEmpty(-1).First();
        int chars = shapes.Select((s, i) => (s, i)).Where(p => p.s.Length == 2).Select(p => p.i).DefaultIfEmpty(-1).First();
        string received = string.Join(", ", shapes.Select(Training.Shapes.FormatBatched));
        if (word < 0 || shapes.Count != (chars < 0 ? 1 : 2))
        {
            throw new ArgumentException(
                $"A tagger network takes word ids (batch, time) and optionally character ids (batch, time, chars); network '{network.Name}' takes {received}.",
                nameof(network));
        }
        if (hasChars != chars >= 0)
        {
            throw new ArgumentException(hasChars
                ? $"Character ids were given, but network '{network.Name}' has no character input; it takes {received}."
                : $"Network '{network.Name}' reads characters ({received}); give its character vocabulary.", "charIds");
        }
        if (hasChars)
        {
            long size = shapes[chars][1];
            if (maxChars < 1 || (size >= 0 && size != maxChars))
            {
                throw new ArgumentException(
                    $"maxChars must be positive{(size >= 0 ? $" and equal the network's character axis ({size})" : "")}; received {maxChars}.", nameof(maxChars));
            }
        }
        return (word, chars);
    }

    private static void CheckTagger(Model network, IReadOnlyList<string> knownWords, IReadOnlyList<string> tags,
        IReadOnlyDictionary<int, int>? charIds, int unknownCharId, (int Begin, int End)? wordBoundaryIds)
    {
        if (knownWords.Any(w => string.IsNullOrEmpty(w)))
        {
            throw new ArgumentException("knownWords must not contain \"\" (or null): \"\" is the padding token.", nameof(knownWords));
        }
        var duplicate = knownWords.GroupBy(w => w, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"knownWords lists '{duplicate.Key}' twice.", nameof(knownWords));
        }
        var outputShape = network.OutputShapes.Count == 1 ? network.OutputShapes[0] : null;
        if (outputShape is not { Length: 2 } || outputShape[1] != tags.Count)
        {
            throw new ArgumentException(
                $"A tagger network has one output (batch, time, {tags.Count}) for {tags.Count} tags; network '{network.Name}' gives " +
                $"{string.Join(", ", network.OutputShapes.Select(Training.Shapes.FormatBatched))}.", nameof(tags));
        }
        if (tags.Any(t => t is null) || tags.Distinct(StringComparer.Ordinal).Count() != tags.Count)
        {
            throw new ArgumentException("tags must be distinct and not null.", nameof(tags));
        }
        if (charIds is not null && (charIds.ContainsKey(0) || charIds.Values.Any(id => id < 1) || unknownCharId < 1))
        {
            throw new ArgumentException(
                "Code point 0 and character id 0 mean padding: charIds must not map code point 0, and every id (unknownCharId included) must be ≥ 1.",
                nameof(charIds));
        }
        if (charIds is not null && charIds.Keys.FirstOrDefault(k => k is < 0 or > 0x10FFFF) is var bad && bad != 0)
        {
            throw new ArgumentException($"charIds keys are Unicode code points (1 to 0x10FFFF); received {bad}.", nameof(charIds));
        }
        if (charIds is not null && wordBoundaryIds is { } markers
            && (markers.Begin < 1 || markers.End < 1 || markers.Begin == markers.End || markers.Begin == unknownCharId || markers.End == unknownCharId
                || charIds.Values.Any(id => id == markers.Begin || id == markers.End)))
        {
            throw new ArgumentException(
                $"wordBoundaryIds must be two distinct ids ≥ 1 that no character (nor unknownCharId) uses; received ({markers.Begin}, {markers.End}).",
                nameof(wordBoundaryIds));
        }
    }
}
