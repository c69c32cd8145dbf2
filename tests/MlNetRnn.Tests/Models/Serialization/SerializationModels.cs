using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MlNetRnn.Layers;
using MlNetRnn.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Models.Serialization;

/// <summary>Small models of every shape the config must express, their inputs, and helpers that write model files by hand.</summary>
internal static class SerializationModels
{
    /// <summary>Sequential: Embedding(maskZero, input_shape (None,)) → Dropout → Dense(softmax).</summary>
    public static Sequential Tagger(int seed)
    {
        var model = new Sequential("tagger", seed);
        model.Add(new Embedding(10, 4, maskZero: true, inputShape: [-1]));
        model.Add(new Dropout(0.25));
        model.Add(new Dense(3, activation: "softmax"));
        return model;
    }

    public static Tensor TaggerIds() => tensor(new long[] { 4, 7, 2, 5, 9, 0 }).reshape(2, 3);

    /// <summary>Functional, two inputs: words → Embedding; chars → TimeDistributed(Embedding → Conv1D → GlobalMaxPooling1D);
    /// joined by Concatenate, then Dropout and a Dense per word.</summary>
    public static Model WordsAndChars(int seed)
    {
        var words = new Input([-1], "words");
        var chars = new Input([-1, -1], "chars");
        var wordVectors = new Embedding(10, 4, maskZero: true).Apply(words)[0];
        var charVectors = new TimeDistributed(new Embedding(8, 3, maskZero: true)).Apply(chars)[0];
        var charWords = new TimeDistributed(new GlobalMaxPooling1D()).Apply(
            new TimeDistributed(new Conv1D(5, 3, padding: "same", activation: "relu")).Apply(charVectors)[0])[0];
        var joined = new Dropout(0.5).Apply(new Concatenate().Apply(wordVectors, charWords)[0])[0];
        var tags = new Dense(3, activation: "softmax", name: "tags").Apply(joined);
        return new Model(new[] { words, chars }, tags, "words_and_chars", seed);
    }

    public static Tensor[] WordsAndCharsInputs() =>
    [
        tensor(new long[] { 4, 7, 2, 5, 9, 0 }).reshape(2, 3),
        tensor(new long[] { 1, 2, 0, 3, 0, 0, 4, 5, 6, 7, 7, 0, 1, 0, 0, 0, 0, 0 }).reshape(2, 3, 3),
    ];

    /// <summary>One Dense called on two inputs (a shared layer: calls [0] and [1]), joined, then Dense(1).</summary>
    public static Model Shared(int seed)
    {
        var a = new Input([3]);
        var b = new Input([3]);
        var dense = new Dense(2);
        var joined = new Concatenate().Apply(dense.Apply(a)[0], dense.Apply(b)[0])[0];
        return new Model(new[] { a, b }, new Dense(1).Apply(joined), seed: seed);
    }

    public static Tensor[] SharedInputs() =>
        [tensor(new float[] { 1, 2, 3, -1, 0, 1 }).reshape(2, 3), tensor(new float[] { 0.5f, 0, -2, 3, 1, 1 }).reshape(2, 3)];

    /// <summary>A layer with two outputs (as a recurrent layer with returnState has): outputs [Dense over the first
    /// half of the features, the second half], the second read by its output index 1.</summary>
    public static Model WithTwoOutputs(int seed)
    {
        var x = new Input([-1, 4]);
        var halves = new Halves().Apply(new Dense(4).Apply(x)[0]);
        var joined = new Concatenate().Apply(new Dense(2).Apply(halves[0])[0], halves[1])[0];
        return new Model(x, [joined, halves[1]], seed: seed);
    }

    public static Tensor WithTwoOutputsInput() => arange(24, dtype: ScalarType.Float32).reshape(2, 3, 4) / 10;

    /// <summary>LayerRegistry plus <see cref="Halves"/>, which only tests know.</summary>
    public static Layer LayerFromJsonWithHalves(JsonObject description) =>
        description["class_name"]!.GetValue<string>() == nameof(Halves)
            ? new Halves(description["config"]!["name"]!.GetValue<string>())
            : LayerRegistry.FromJson(description);

    /// <summary>Splits the last axis in two: (batch, …, 2n) → (batch, …, n) and (batch, …, n). No weights.</summary>
    public sealed class Halves(string? name = null) : Layer(name, null)
    {
        public override int OutputCount => 2;

        public override IReadOnlyList<LayerWeight> Weights => [];

        protected override int? InputRank => null;

        protected override IReadOnlyList<long[]> OutputShapes(long[] inputShape) =>
            [[.. inputShape[..^1], inputShape[^1] / 2], [.. inputShape[..^1], inputShape[^1] / 2]];

        protected override IReadOnlyList<(string Name, long[] Shape)> DeclaredWeights(long[] inputShape) => [];

        protected override void CreateWeights(long[] inputShape, Generator? generator)
        {
        }

        protected override IReadOnlyList<Tensor> Forward(Tensor inputs, Tensor? mask)
        {
            long half = inputs.shape[^1] / 2;
            return [inputs.narrow(-1, 0, half), inputs.narrow(-1, half, half)];
        }
    }

    /// <summary>Same dtype, shape and values, bit for bit.</summary>
    public static bool Same(Tensor expected, Tensor actual) =>
        expected.dtype == actual.dtype && expected.shape.SequenceEqual(actual.shape) && expected.eq(actual).all().item<bool>();

    public static byte[] Saved(Model model)
    {
        using var buffer = new MemoryStream();
        model.Save(buffer);
        return buffer.ToArray();
    }

    /// <summary>One weight record, written by hand.</summary>
    public sealed record Weight(string Name, byte DType, long[] Shape, byte[] Values)
    {
        public static Weight Floats(string name, long[] shape, params float[] values) =>
            new(name, 1, shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

        public static Weight Of(string name, Tensor value) => value.dtype == ScalarType.Float32
            ? Floats(name, value.shape, value.data<float>().ToArray())
            : new(name, 2, value.shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(value.data<double>().ToArray().AsSpan()).ToArray());
    }

    /// <summary>A model file written by hand, as docs/model-file-format.md describes it, with a correct length and checksum.</summary>
    public static byte[] Craft(string config, params Weight[] weights)
    {
        using var content = new MemoryStream();
        using (var writer = new BinaryWriter(content, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write("MLNETRNN"u8);
            writer.Write(1u);
            writer.Write(0L);   // content length, set by Reseal
            var configBytes = Encoding.UTF8.GetBytes(config);
            writer.Write(configBytes.Length);
            writer.Write(configBytes);
            writer.Write(weights.Length);
            foreach (var w in weights)
            {
                var name = Encoding.UTF8.GetBytes(w.Name);
                writer.Write((ushort)name.Length);
                writer.Write(name);
                writer.Write(w.DType);
                writer.Write((byte)w.Shape.Length);
                foreach (long d in w.Shape) writer.Write(d);
                writer.Write(w.Values);
            }
        }
        return Reseal(content.ToArray());
    }

    /// <summary>Content (a file without its checksum) with its header's length set and a fresh SHA-256 appended.</summary>
    public static byte[] Reseal(byte[] content)
    {
        var copy = content.ToArray();
        BinaryPrimitives.WriteInt64LittleEndian(copy.AsSpan(12), copy.Length);
        return [.. copy, .. SHA256.HashData(copy)];
    }

    /// <summary>A saved file with part of its content changed and its checksum made right again (a crafted file).</summary>
    public static byte[] Edited(byte[] file, Action<byte[]> edit)
    {
        var content = file[..^32];
        edit(content);
        return Reseal(content);
    }

    /// <summary>The config of a saved file, and the file crafted again with another config and the same weights.</summary>
    public static string ConfigOf(byte[] file)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(20));
        return Encoding.UTF8.GetString(file, 24, length);
    }

    public static InvalidDataException LoadFails(byte[] file) =>
        Assert.ThrowsExactly<InvalidDataException>(() => Model.Load(new MemoryStream(file)).Dispose());
}
