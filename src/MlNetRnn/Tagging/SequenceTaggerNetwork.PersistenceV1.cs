using System.Globalization;
using System.Runtime.InteropServices;
using MlNetRnn.Data;
using static TorchSharp.torch;

namespace MlNetRnn.Models;

// Reading format version 1 (the first tagger: Embedding → SimpleRNN → TimeDistributed(Dense)). Frozen: files
// written by version 1 must keep loading and predicting exactly as they did.
public sealed partial class SequenceTaggerNetwork
{
    /// <summary>
    /// The rest of a version-1 network, after magic and version: nine hyper-parameters (embedding size, units, epochs,
    /// batch size, learning rate, seed, minimum count, rare-token dropout, patience), vocabulary, tags, then
    /// the weights, each as rank, sizes and float32 values. Every size is checked against the bytes present before
    /// anything is allocated, every weight must have exactly the shape the sizes imply and be finite, and nothing may
    /// follow the weights; only then is the network built.
    /// </summary>
    private static SequenceTaggerNetwork LoadVersion1(BinaryReader reader)
    {
        var stream = reader.BaseStream;
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
        var tags = ReadTags(reader);
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

    /// <summary>The weights of the version-1 architecture, in <see cref="Model.GetWeights"/> order:
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
            stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
            int bad = Array.FindIndex(values, v => !float.IsFinite(v));
            if (bad >= 0)
                throw new InvalidDataException($"Weight {i} ({name}) holds a non-finite value ({values[bad].ToString(CultureInfo.InvariantCulture)}) at index {bad}.");
            result[i] = (values, shape);
        }
        return result;
    }

    private static void CheckLayerSize(int size, string what)
    {
        if (size > MaxStoredLayerSize)
            throw new InvalidDataException($"The sequence tagger network declares {what} {size}; at most {MaxStoredLayerSize} is read.");
    }
}
