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

    /// <summary>Reads what <see cref="Save"/> wrote.</summary>
    /// <exception cref="InvalidDataException">Truncated or foreign data, or a newer format; the message says which.</exception>
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
            hp.Validate();
            var vocabulary = Vocabulary.FromTokens(ReadStrings(reader));
            var tags = ReadStrings(reader);
            if (tags.Length == 0) throw new InvalidDataException("The sequence tagger network has no tags.");
            var network = new SequenceTaggerNetwork(vocabulary, tags, hp);
            try
            {
                using var scope = NewDisposeScope();
                int count = reader.ReadInt32();
                var weights = new List<Tensor>();
                for (int i = 0; i < count; i++)
                {
                    int rank = reader.ReadInt32();
                    if (rank is < 0 or > 8) throw new InvalidDataException($"Weight {i} has an impossible rank {rank}.");
                    var shape = Enumerable.Range(0, rank).Select(_ => reader.ReadInt64()).ToArray();
                    long remaining = (stream.Length - stream.Position) / sizeof(float);
                    long n = 1;
                    foreach (long d in shape)
                    {
                        // Checked one factor at a time so that garbage sizes cannot overflow.
                        if (d < 0 || (d > 0 && n > remaining / d)) throw new EndOfStreamException();
                        n *= d;
                    }
                    var values = new float[n];
                    reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
                    weights.Add(tensor(values, shape));
                }
                network._model.SetWeights(weights);
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

    private static string[] ReadStrings(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count < 0 || count > reader.BaseStream.Length - reader.BaseStream.Position)
        {
            throw new EndOfStreamException();
        }
        var values = new string[count];
        for (int i = 0; i < count; i++) values[i] = reader.ReadString();
        return values;
    }
}
