using System.Text;
using MlNetRnn.Data;
using MlNetRnn.Layers;
using MlNetRnn.Tagging;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Models;

// The network's binary format: Save writes version 3; Load reads versions 1 to 3 (version 2 is version 3 without the
// hyper-parameters added in 3, see SequenceTaggerNetwork.PersistenceJson.cs).
public sealed partial class SequenceTaggerNetwork
{
    /// <summary>The newest format <see cref="Save"/> writes and <see cref="Load"/> reads.</summary>
    public const int FormatVersion = 3;

    /// <summary>The largest embedding width or number of units a version-1 network may declare.</summary>
    public const int MaxStoredLayerSize = SequenceTaggerHyperParameters.MaxLayerSize;

    /// <summary>The most bytes <see cref="Save"/> may write: 48 MiB less 64 KiB, what an ML.NET model file's payload
    /// (<c>TaggerPayload.MaxLength</c> characters of base64 and a header) holds. About 12.5 million weights: a word
    /// embedding of 100 dimensions fits a vocabulary of about 100,000 words. Training refuses a larger network before
    /// it starts, so that no model is trained that could not be read back.</summary>
    public const int MaxStoredBytes = (48 << 20) - (64 << 10);

    private const string Magic = "MlNetRnn.SequenceTaggerNetwork";

    /// <summary>What <see cref="Save"/> writes, in bytes (the weights' values do not change it).</summary>
    internal long StoredBytes()
    {
        using var counter = new ByteCounter();
        Save(counter);
        return counter.Length;
    }

    // A write-only stream that only counts.
    private sealed class ByteCounter : Stream
    {
        private long _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
        public override void WriteByte(byte value) => _length++;
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>A network around a model read from a file and already checked against the rest of it.</summary>
    private SequenceTaggerNetwork(Vocabulary vocabulary, Vocabulary? charVocabulary, string[] tags,
        SequenceTaggerHyperParameters hyperParameters, Model model, Embedding wordEmbedding)
    {
        _vocabulary = vocabulary;
        _tags = tags;
        HyperParameters = hyperParameters;
        _encoder = new TokenEncoder(vocabulary, charVocabulary, hyperParameters.Lowercase, hyperParameters.MaxCharsPerToken,
            hyperParameters.CharBoundaryMarkers);
        _model = model;
        _wordEmbedding = wordEmbedding;
        _model.FreezeForInference();
    }

    /// <summary>Whether the network knows <paramref name="token"/>: its word id, as the network looks it up (lower-cased
    /// when <see cref="SequenceTaggerHyperParameters.Lowercase"/>), is not the out-of-vocabulary id.</summary>
    public bool IsKnownWord(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _vocabulary.IdOf(_encoder.WordKey(token)) != Vocabulary.OutOfVocabularyId;
    }

    /// <summary>
    /// Writes the network (format version 3; all integers little-endian, strings as <see cref="BinaryWriter"/> writes
    /// them: a 7-bit-encoded UTF-8 byte count, then the bytes): the magic string <c>MlNetRnn.SequenceTaggerNetwork</c>;
    /// the version (int32); the hyper-parameters as a UTF-8 JSON object (int32 byte count, then the bytes); the word
    /// vocabulary's tokens in id order (int32 count, then the strings); the character vocabulary's the same way, only
    /// when <see cref="SequenceTaggerHyperParameters.CharFeatures"/> is not None; the tags in class order (int32 count,
    /// then the strings); and the Keras model file of <see cref="Model.Save(Stream)"/> (int64 byte count, then the
    /// bytes: layer config, weights and their SHA-256, see docs/model-file-format.md). Nothing follows.
    /// </summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var model = new MemoryStream();
        _model.Save(model);
        var hyperParameters = WriteHyperParameters(HyperParameters);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(hyperParameters.Length);
        writer.Write(hyperParameters);
        WriteStrings(writer, _vocabulary.Tokens);
        if (CharVocabulary is { } chars) WriteStrings(writer, chars.Tokens);
        WriteStrings(writer, _tags);
        writer.Write(model.Length);
        writer.Write(model.GetBuffer(), 0, checked((int)model.Length));
    }

    /// <summary>
    /// Reads what <see cref="Save"/> wrote, or a network of format version 1. Every size in the data is checked
    /// against the bytes actually present before anything is allocated, and nothing may follow the network; the
    /// Keras model is read with <see cref="Model.Load(Stream, int?)"/>'s own checks, then checked against the rest:
    /// its inputs are [words] or [words, chars] as the hyper-parameters say, its word Embedding has one row per word
    /// id, its character Embedding one per character id, and its output one probability per tag.
    /// </summary>
    /// <exception cref="InvalidDataException">Truncated, foreign, inconsistent or damaged data, or a newer
    /// format; the message says which check failed.</exception>
    public static SequenceTaggerNetwork Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            // Compare raw header bytes, so a foreign file is named as such rather than as truncated.
            var expected = MagicBytes();
            var header = new byte[expected.Length];
            int read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            if (read < header.Length || !header.AsSpan().SequenceEqual(expected))
            {
                throw new InvalidDataException("Not an MlNetRnn sequence tagger network (unrecognised header).");
            }
            int version = reader.ReadInt32();
            if (version > FormatVersion || version < 1)
            {
                throw new InvalidDataException(
                    $"The sequence tagger network has format version {version}; this MlNetRnn reads versions 1 to {FormatVersion}. Upgrade MlNetRnn to load it.");
            }
            return version == 1 ? LoadVersion1(reader) : LoadVersion2Or3(reader, version);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The sequence tagger network data is truncated.", e);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The sequence tagger network data is inconsistent: {e.Message}", e);
        }
    }

    private static SequenceTaggerNetwork LoadVersion2Or3(BinaryReader reader, int version)
    {
        var stream = reader.BaseStream;
        int jsonBytes = reader.ReadInt32();
        if (jsonBytes <= 0 || jsonBytes > MaxHyperParametersBytes)
            throw new InvalidDataException(
                $"The sequence tagger network declares {jsonBytes} bytes of hyper-parameters; 1 to {MaxHyperParametersBytes} are read.");
        if (jsonBytes > stream.Length - stream.Position)
            throw new InvalidDataException(
                $"The sequence tagger network data is truncated: it declares {jsonBytes} bytes of hyper-parameters but only {stream.Length - stream.Position} bytes remain.");
        var hp = ReadHyperParameters(reader.ReadBytes(jsonBytes), version);
        hp.Validate();
        var vocabulary = Vocabulary.FromTokens(ReadStrings(reader, "vocabulary token"));
        var chars = hp.CharFeatures == CharFeatureKind.None ? null : Vocabulary.FromTokens(ReadStrings(reader, "character"));
        var tags = ReadTags(reader);
        long modelBytes = reader.ReadInt64();
        long left = stream.Length - stream.Position;
        if (modelBytes <= 0 || modelBytes > left || modelBytes > Array.MaxLength)
            throw new InvalidDataException(
                $"The sequence tagger network data is truncated: it declares a Keras model of {modelBytes} bytes but only {left} bytes remain.");
        if (modelBytes < left)
            throw new InvalidDataException($"The sequence tagger network data has {left - modelBytes} trailing bytes after the Keras model.");
        var file = reader.ReadBytes((int)modelBytes);

        Model model;
        try
        {
            model = Model.Load(new MemoryStream(file, writable: false), hp.Seed);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"The sequence tagger network's Keras model is unreadable: {e.Message}", e);
        }
        try
        {
            var wordEmbedding = CheckModel(model, hp, vocabulary, chars, tags.Length);
            return new SequenceTaggerNetwork(vocabulary, chars, tags, hp, model, wordEmbedding);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Checks a loaded model against the hyper-parameters, vocabularies and tags stored with it; returns its
    /// word Embedding.</summary>
    private static Embedding CheckModel(Model model, SequenceTaggerHyperParameters hp, Vocabulary words, Vocabulary? chars, int tagCount)
    {
        const string What = "The sequence tagger network's Keras model";
        var graph = model.Graph ?? throw new InvalidDataException($"{What} is not built.");
        long[][] expected = chars is null ? [[-1]] : [[-1], [-1, -1]];
        if (graph.Inputs.Count != expected.Length || graph.Inputs.Where((input, i) => !input.Shape.SequenceEqual(expected[i])).Any())
        {
            string needed = chars is null ? "words (None, None)" : "words (None, None) and chars (None, None, None)";
            throw new InvalidDataException(
                $"{What} has inputs {string.Join(" and ", graph.Inputs.Select(i => $"{i.Name} {Shapes.FormatBatched(i.Shape)}"))}; CharFeatures {hp.CharFeatures} needs {needed}.");
        }
        var wordEmbedding = EmbeddingOf(graph, 0, "word");
        CheckRows(wordEmbedding, words.Size, "word");
        if (wordEmbedding.OutputDim != hp.EmbeddingSize)
            throw new InvalidDataException(
                $"{What}'s word Embedding '{wordEmbedding.Name}' has output_dim {wordEmbedding.OutputDim}; EmbeddingSize is {hp.EmbeddingSize}.");
        if (chars is not null)
            CheckRows(EmbeddingOf(graph, 1, "character"), TokenEncoder.CharEmbeddingRows(chars, hp.CharBoundaryMarkers), "character",
                hp.CharBoundaryMarkers ? "its tokens, padding, out-of-vocabulary and the two word-boundary markers" : "its tokens, padding and out-of-vocabulary");
        if (graph.Outputs.Count != 1 || graph.Outputs[0].Shape is not [-1, var width] || width != tagCount)
            throw new InvalidDataException(
                $"{What} has outputs {string.Join(" and ", graph.Outputs.Select(o => Shapes.FormatBatched(o.Shape)))}; the {tagCount} tags need (None, None, {tagCount}).");
        var wide = model.NamedWeights.FirstOrDefault(w => w.Weight.Variable.dtype != ScalarType.Float32);
        if (wide.Path is not null)
            throw new InvalidDataException($"{What}'s weight '{wide.Path}' is {wide.Weight.Variable.dtype}; the tagger computes in float32.");
        return wordEmbedding;

        static void CheckRows(Embedding embedding, int ids, string what, string parts = "its tokens, padding and out-of-vocabulary")
        {
            if (embedding.InputDim != ids)
                throw new InvalidDataException(
                    $"{What}'s {what} Embedding '{embedding.Name}' has input_dim {embedding.InputDim}; the {what} vocabulary has {ids} ids ({parts}).");
        }
    }

    /// <summary>The one layer that reads input <paramref name="index"/>, which must be an Embedding.</summary>
    private static Embedding EmbeddingOf(FunctionalGraph graph, int index, string what)
    {
        var input = graph.Inputs[index];
        var readers = graph.Nodes.Where(n => n.Inputs.Any(t => ReferenceEquals(t, input))).Select(n => n.Layer).Distinct().ToArray();
        if (readers is [Embedding embedding]) return embedding;
        throw new InvalidDataException(
            $"The sequence tagger network's Keras model feeds its {what} input '{input.Name}' to [{string.Join(", ", readers.Select(l => $"{l.Name} ({l.TypeName})"))}]; expected one Embedding.");
    }

    private static string[] ReadTags(BinaryReader reader)
    {
        var tags = ReadStrings(reader, "tag");
        if (tags.Length == 0) throw new InvalidDataException("The sequence tagger network has no tags.");
        var duplicate = tags.GroupBy(t => t, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"The sequence tagger network lists tag '{Shorten(duplicate.Key)}' twice.");
        return tags;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static byte[] MagicBytes()
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true)) writer.Write(Magic);
        return buffer.ToArray();
    }

    private static void WriteStrings(BinaryWriter writer, IReadOnlyList<string> values)
    {
        writer.Write(values.Count);
        foreach (var v in values) writer.Write(v);
    }

    /// <summary>A count then that many strings; each string takes at least one byte, so a count above the
    /// bytes left is refused before the array is allocated.</summary>
    private static string[] ReadStrings(BinaryReader reader, string what)
    {
        int count = reader.ReadInt32();
        long left = reader.BaseStream.Length - reader.BaseStream.Position;
        if (count < 0 || count > left)
        {
            throw new InvalidDataException($"The sequence tagger network declares {count} {what}s but only {left} bytes remain.");
        }
        var values = new string[count];
        for (int i = 0; i < count; i++) values[i] = reader.ReadString();
        return values;
    }
}
