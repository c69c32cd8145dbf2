using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Models.Serialization;

/// <summary>Writes a model file (<see cref="ModelFileFormat"/>): the config, then each weight in Keras order and
/// layout, hashing as it goes.</summary>
internal static class ModelFileWriter
{
    /// <summary>Writes atomically to <paramref name="path"/> (<see cref="AtomicFile"/>).</summary>
    /// <exception cref="InvalidOperationException">The model is not built, or a weight is not finite.</exception>
    public static void Save(Model model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var plan = Prepare(model);
        AtomicFile.Write(path, stream => Write(plan, stream));
    }

    /// <summary>Writes to <paramref name="stream"/> from its current position.</summary>
    /// <exception cref="InvalidOperationException">The model is not built, or a weight is not finite.</exception>
    public static void Write(Model model, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        Write(Prepare(model), stream);
    }

    // Everything that can refuse the model is checked here, before a byte is written.
    private static Plan Prepare(Model model)
    {
        if (!model.Built)
        {
            throw new InvalidOperationException(
                $"Model '{model.Name}' has not been built yet: give the first layer an inputShape, or call Fit or Predict first.");
        }
        var config = ModelFileFormat.Utf8.GetBytes(ModelConfig.ToJson(model));
        if (config.Length > ModelFileLimits.MaxConfigBytes)
        {
            throw new InvalidOperationException($"Model '{model.Name}''s config takes {config.Length} bytes; a model file holds at most {ModelFileLimits.MaxConfigBytes}.");
        }
        var weights = model.NamedWeights.ToArray();
        long length = ModelFileFormat.HeaderBytes + 4 + config.Length + 4;
        foreach (var (path, weight) in weights)
        {
            if (ModelFileFormat.Utf8.GetByteCount(path) > ModelFileLimits.MaxNameBytes || weight.Shape.Length > ModelFileLimits.MaxRank)
            {
                throw new InvalidOperationException(
                    $"Weight '{path}' of shape {Shapes.Format(weight.Shape)} does not fit a model file: names take at most {ModelFileLimits.MaxNameBytes} bytes, ranks are at most {ModelFileLimits.MaxRank}.");
            }
            using (var scope = NewDisposeScope())
            using (no_grad())
            {
                if (!weight.Variable.isfinite().all().item<bool>())
                {
                    throw new InvalidOperationException($"Weight '{path}' holds a non-finite value (NaN or infinity); a model file holds finite weights only.");
                }
            }
            length += 2 + ModelFileFormat.Utf8.GetByteCount(path) + 1 + 1 + 8L * weight.Shape.Length +
                weight.Count * WeightDType.Size(weight.Variable.dtype);
        }
        return new Plan(model, config, length);
    }

    private static void Write(Plan plan, Stream stream)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Put(ReadOnlySpan<byte> bytes)
        {
            hash.AppendData(bytes);
            stream.Write(bytes);
        }
        Span<byte> number = stackalloc byte[8];
        Put(ModelFileFormat.Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(number, ModelFileFormat.Version);
        Put(number[..4]);
        BinaryPrimitives.WriteInt64LittleEndian(number, plan.Length);
        Put(number);
        BinaryPrimitives.WriteInt32LittleEndian(number, plan.Config.Length);
        Put(number[..4]);
        Put(plan.Config);
        var weights = plan.Model.NamedWeights.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(number, weights.Length);
        Put(number[..4]);
        foreach (var (path, weight) in weights)
        {
            var name = ModelFileFormat.Utf8.GetBytes(path);
            BinaryPrimitives.WriteUInt16LittleEndian(number, checked((ushort)name.Length));
            Put(number[..2]);
            Put(name);
            var dtype = weight.Variable.dtype;
            Put([WeightDType.Code(dtype), (byte)weight.Shape.Length]);
            foreach (long size in weight.Shape)
            {
                BinaryPrimitives.WriteInt64LittleEndian(number, size);
                Put(number);
            }
            using var values = weight.Read();
            if (dtype == ScalarType.Float32)
            {
                PutValues(values.data<float>().ToArray(), Put);
            }
            else
            {
                PutValues(values.data<double>().ToArray(), Put);
            }
        }
        stream.Write(hash.GetHashAndReset());
        stream.Flush();
    }

    // In slices, so that no byte span exceeds int.MaxValue.
    private static void PutValues<T>(T[] values, PutBytes put) where T : unmanaged
    {
        const int Slice = 1 << 20;
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        for (int start = 0; start < values.Length; start += Slice)
        {
            var bytes = MemoryMarshal.AsBytes(values.AsSpan(start, Math.Min(Slice, values.Length - start)));
            ModelFileFormat.FixByteOrder(bytes, size);
            put(bytes);
        }
    }

    private delegate void PutBytes(ReadOnlySpan<byte> bytes);

    private sealed record Plan(Model Model, byte[] Config, long Length);
}
