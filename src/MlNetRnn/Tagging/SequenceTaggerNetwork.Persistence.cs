using System.Diagnostics;
using System.Text;
using MlNetRnn.Data;
using MlNetRnn.Layers;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Models;

// The network's binary format: Save and Load.
public sealed partial class SequenceTaggerNetwork
{
    /// <summary>The newest format <see cref="Save"/> writes and <see cref="Load"/> reads.</summary>
    public const int FormatVersion = 1;

    private const string Magic = "MlNetRnn.SequenceTaggerNetwork";
    /// <summary>Writes the network: format version, hyper-parameters, vocabulary, tags and weights.</summary>
    public void Save(Stream stream)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        var hp = HyperParameters;
        writer.Write(hp.EmbeddingSize);
        writer.Write(hp.Units);
        writer.Write(hp.Epochs);
        writer.Write(hp.BatchSize);
        writer.Write(hp.LearningRate);
        writer.Write(hp.Seed);
        writer.Write(hp.VocabularyMinCount);
        writer.Write(hp.RareTokenDropout);
        writer.Write(hp.EarlyStoppingPatience);
        WriteStrings(writer, _vocabulary.Tokens);
        WriteStrings(writer, _tags);
        var weights = _model.GetWeights();
        writer.Write(weights.Count);
        foreach (var weight in weights)
        {
            using (weight)
            {
                writer.Write((int)weight.dim());
                foreach (long d in weight.shape) writer.Write(d);
                var values = weight.to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
                writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
            }
        }
    }

    /// <summary>The largest embedding width or number of units a stored network may declare.</summary>
    public const int MaxStoredLayerSize = SequenceTaggerHyperParameters.MaxLayerSize;

    /// <summary>
    /// Reads what <see cref="Save"/> wrote. Every size in the data is checked against the bytes actually
    /// present before anything is allocated, every weight must have exactly the shape the hyper-parameters
    /// imply and be finite, and nothing may follow the weights; only then is the network built.
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
            var hp = new SequenceTaggerHyperParameters
            {
                EmbeddingSize = reader.ReadInt32(),
                Units = reader.ReadInt32(),
                Epochs = reader.ReadInt32(),
                BatchSize = reader.ReadInt32(),
                LearningRate = reader.ReadDouble(),
                Seed = reader.ReadInt32(),
                VocabularyMinCount = reader.ReadInt32(),
                RareTokenDropout = reader.ReadDouble(),
                EarlyStoppingPatience = reader.ReadInt32(),
            };
            // Sizes first, with the file's words; then every other setting.
            CheckLayerSize(hp.EmbeddingSize, "embedding size");
            CheckLayerSize(hp.Units, "units");
            hp.Validate();
            var vocabulary = Vocabulary.FromTokens(ReadStrings(reader, "vocabulary token"));
            var tags = ReadStrings(reader, "tag");
            if (tags.Length == 0) throw new InvalidDataException("The sequence tagger network has no tags.");
            var duplicate = tags.GroupBy(t => t, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null) throw new InvalidDataException($"The sequence tagger network lists tag '{Shorten(duplicate.Key)}' twice.");
            var values = ReadWeights(reader, WeightShapes(vocabulary.Size, hp.EmbeddingSize, hp.Units, tags.Length));
            long trailing = stream.Length - stream.Position;
            if (trailing != 0)
                throw new InvalidDataException($"The sequence tagger network data has {trailing} trailing bytes after the weights.");

            // Every weight is in memory and checked: the network built now holds nothing the file did not give.
            var network = new SequenceTaggerNetwork(vocabulary, tags, hp);
            try
            {
                using var scope = NewDisposeScope();
                network._model.SetWeights(values.Select(v => tensor(v.Values, v.Shape)).ToArray());
                return network;
            }
            catch
            {
                network.Dispose();
                throw;
            }
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

    /// <summary>The weights the constructor's architecture has, in <see cref="Model.GetWeights"/> order:
    /// embeddings (vocabulary, embedding), SimpleRNN kernel (embedding, units), recurrent kernel (units, units),
    /// bias (units), Dense kernel (units, tags), bias (tags).</summary>
    private static (string Name, long[] Shape)[] WeightShapes(int vocabularySize, int embedding, int units, int tags) =>
    [
        ("embeddings", [vocabularySize, embedding]),
        ("simple_rnn kernel", [embedding, units]),
        ("simple_rnn recurrent kernel", [units, units]),
        ("simple_rnn bias", [units]),
        ("dense kernel", [units, tags]),
        ("dense bias", [tags]),
    ];

    /// <summary>Reads the weights, each checked against its expected shape and the bytes left before its
    /// values are allocated, then checked to be finite.</summary>
    private static (float[] Values, long[] Shape)[] ReadWeights(BinaryReader reader, (string Name, long[] Shape)[] expected)
    {
        var stream = reader.BaseStream;
        int count = reader.ReadInt32();
        if (count != expected.Length)
            throw new InvalidDataException($"The sequence tagger network stores {count} weights; its architecture has {expected.Length}.");
        var result = new (float[], long[])[count];
        for (int i = 0; i < count; i++)
        {
            var (name, shape) = expected[i];
            int rank = reader.ReadInt32();
            if (rank != shape.Length)
                throw new InvalidDataException($"Weight {i} ({name}) has rank {rank}; expected {shape.Length}.");
            var stored = new long[rank];
            for (int d = 0; d < rank; d++) stored[d] = reader.ReadInt64();
            if (!stored.AsSpan().SequenceEqual(shape))
                throw new InvalidDataException(
                    $"Weight {i} ({name}) has shape ({string.Join(", ", stored)}); the stored sizes imply ({string.Join(", ", shape)}).");
            long elements = shape.Aggregate(1L, (n, d) => checked(n * d));
            long available = (stream.Length - stream.Position) / sizeof(float);
            if (elements > available)
                throw new InvalidDataException(
                    $"Weight {i} ({name}) needs {elements} values but only {available} remain: the network data is truncated.");
            var values = new float[elements];
            stream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
            int bad = Array.FindIndex(values, v => !float.IsFinite(v));
            if (bad >= 0)
                throw new InvalidDataException($"Weight {i} ({name}) holds a non-finite value ({values[bad].ToString(System.Globalization.CultureInfo.InvariantCulture)}) at index {bad}.");
            result[i] = (values, shape);
        }
        return result;
    }

    private static void CheckLayerSize(int size, string what)
    {
        if (size > MaxStoredLayerSize)
            throw new InvalidDataException($"The sequence tagger network declares {what} {size}; at most {MaxStoredLayerSize} is read.");
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
