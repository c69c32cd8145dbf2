using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using MlNetRnn.Layers;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Models.Serialization;

/// <summary>
/// Reads a model file (<see cref="ModelFileFormat"/>), trusting nothing in it: header, length and checksum first;
/// then the config (size-capped) and every weight's name, dtype and shape, all compared with the bytes present and
/// with the sizes the config implies before any layer allocates; then the values, which must be finite. Each
/// failure is an <see cref="InvalidDataException"/> whose message names the check.
/// </summary>
internal static class ModelFileReader
{
    public static Model Load(string path, int? seed)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Load(stream, seed);
    }

    /// <summary>Reads from the stream's position to its end (a stream that cannot seek is first read into memory).</summary>
    public static Model Load(Stream stream, int? seed)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            buffer.Position = 0;
            stream = buffer;
        }
        var file = new Content(stream, stream.Position, stream.Length - stream.Position);
        long length = CheckHeader(file);
        CheckChecksum(file, length);
        file.Seek(ModelFileFormat.HeaderBytes, length);

        using var blueprint = ModelConfig.Parse(ReadConfig(file), LayerRegistry.FromJson);
        var records = ReadRecords(file);
        CheckSizesImplied(blueprint, records);
        var model = blueprint.Build(seed);
        try
        {
            AssignWeights(model, records, file);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    // Magic, version, and a content length that matches the bytes present; returns that length.
    private static long CheckHeader(Content file)
    {
        var header = new byte[ModelFileFormat.HeaderBytes];
        int present = file.ReadAtMost(header);
        var magic = ModelFileFormat.Magic;
        int compared = Math.Min(present, magic.Length);
        if (present == 0 || !header.AsSpan(0, compared).SequenceEqual(magic[..compared]))
        {
            throw new InvalidDataException($"Not an MlNetRnn model file: it does not begin with \"{Encoding.ASCII.GetString(magic)}\".");
        }
        if (present < header.Length)
        {
            throw new InvalidDataException($"The model file is truncated: it has {present} bytes; its header alone takes {header.Length}.");
        }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8));
        if (version != ModelFileFormat.Version)
        {
            throw new InvalidDataException(version > ModelFileFormat.Version
                ? $"The model file has format version {version}; this MlNetRnn reads version {ModelFileFormat.Version}. Upgrade MlNetRnn to load it."
                : $"The model file has format version {version}, which does not exist; this MlNetRnn reads version {ModelFileFormat.Version}.");
        }
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(12));
        if (length < ModelFileFormat.MinContentBytes)
        {
            throw new InvalidDataException(
                $"The model file's header gives a content length of {length} bytes; every model file has at least {ModelFileFormat.MinContentBytes}.");
        }
        ulong expected = length + ModelFileFormat.ChecksumBytes;
        if ((ulong)file.Length < expected || length > long.MaxValue)
        {
            throw new InvalidDataException(
                $"The model file is truncated: its header gives {expected} bytes (content and checksum); {file.Length} are present.");
        }
        if ((ulong)file.Length > expected)
        {
            throw new InvalidDataException($"The model file has {(ulong)file.Length - expected} trailing byte(s) after its checksum.");
        }
        return (long)length;
    }

    private static void CheckChecksum(Content file, long length)
    {
        file.Seek(0, length + ModelFileFormat.ChecksumBytes);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        for (long left = length; left > 0;)
        {
            var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, left));
            file.ReadExactly(chunk, "its content");
            hash.AppendData(chunk);
            left -= chunk.Length;
        }
        var stored = new byte[ModelFileFormat.ChecksumBytes];
        file.ReadExactly(stored, "its checksum");
        if (!CryptographicOperations.FixedTimeEquals(stored, hash.GetHashAndReset()))
        {
            throw new InvalidDataException("The model file's SHA-256 checksum does not match its content: the file is corrupt.");
        }
    }

    private static string ReadConfig(Content file)
    {
        uint size = file.ReadUInt32("the config's length");
        if (size > ModelFileLimits.MaxConfigBytes)
        {
            throw new InvalidDataException($"The model file's config takes {size} bytes; at most {ModelFileLimits.MaxConfigBytes} are allowed.");
        }
        var bytes = new byte[size];
        file.ReadExactly(bytes, "its config");
        try
        {
            return ModelFileFormat.Utf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException("The model file's config is not valid UTF-8.", e);
        }
    }

    // Every record's name, dtype and shape, checked against the bytes present; the values are skipped.
    private static List<Record> ReadRecords(Content file)
    {
        uint count = file.ReadUInt32("the weights' count");
        if (count > ModelFileLimits.MaxWeights)
        {
            throw new InvalidDataException($"The model file lists {count} weights; at most {ModelFileLimits.MaxWeights} are allowed.");
        }
        var records = new List<Record>();
        for (int i = 0; i < count; i++)
        {
            int nameBytes = file.ReadUInt16($"weight {i}'s name length");
            if (nameBytes > ModelFileLimits.MaxNameBytes)
            {
                throw new InvalidDataException($"Weight {i}'s name takes {nameBytes} bytes; at most {ModelFileLimits.MaxNameBytes} are allowed.");
            }
            var nameData = new byte[nameBytes];
            file.ReadExactly(nameData, $"weight {i}'s name");
            string name;
            try
            {
                name = ModelFileFormat.Utf8.GetString(nameData);
            }
            catch (DecoderFallbackException e)
            {
                throw new InvalidDataException($"Weight {i}'s name is not valid UTF-8.", e);
            }
            byte code = file.ReadByte($"weight '{name}''s dtype");
            var dtype = WeightDType.FromCode(code)
                ?? throw new InvalidDataException($"Weight '{name}' has dtype code {code}; expected {WeightDType.Codes}.");
            int rank = file.ReadByte($"weight '{name}''s rank");
            if (rank > ModelFileLimits.MaxRank)
            {
                throw new InvalidDataException($"Weight '{name}' has rank {rank}; at most {ModelFileLimits.MaxRank} is allowed.");
            }
            var shape = new long[rank];
            for (int d = 0; d < rank; d++) shape[d] = file.ReadInt64($"weight '{name}''s shape");
            if (shape.Any(d => d < 0))
            {
                throw new InvalidDataException($"Weight '{name}' has a negative size in its shape ({string.Join(", ", shape)}).");
            }
            long values = WeightShapes.Count([shape]);
            if (values > ModelFileLimits.MaxWeightValues)
            {
                throw new InvalidDataException(
                    $"Weight '{name}' has shape {Shapes.Format(shape)}, more than {ModelFileLimits.MaxWeightValues} values; at most that many are allowed.");
            }
            long bytes = values * WeightDType.Size(dtype);
            if (bytes > file.Remaining)
            {
                throw new InvalidDataException(
                    $"Weight '{name}' has shape {Shapes.Format(shape)} of {WeightDType.Name(dtype)}: {bytes} bytes, but only {file.Remaining} remain in the file.");
            }
            records.Add(new Record(name, dtype, shape, values, file.Position));
            file.Skip(bytes);
        }
        if (file.Remaining > 0)
        {
            throw new InvalidDataException($"The model file has {file.Remaining} unread bytes between its last weight and its checksum.");
        }
        return records;
    }

    // Before any layer allocates: each layer's weights, sized by its config, must hold as many values as the file has
    // for it. The file's sizes are bounded by its bytes, so a config asking for more is refused here.
    private static void CheckSizesImplied(ModelBlueprint blueprint, List<Record> records)
    {
        var held = records.GroupBy(r => r.Name.Split('/')[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => WeightShapes.Count(g.Select(r => r.Shape)), StringComparer.Ordinal);
        foreach (var planned in blueprint.Layers)
        {
            long implied = ModelBlueprint.ImpliedValues(planned);
            long inFile = held.GetValueOrDefault(planned.Layer.Name!, 0);
            if (implied != inFile)
            {
                throw new InvalidDataException(
                    $"Layer '{planned.Layer.Name}' ({planned.Layer.TypeName}) needs {(implied == long.MaxValue ? "more than 2^63" : implied.ToString(CultureInfo.InvariantCulture))} weight values by its config; the file holds {inFile} for it.");
            }
        }
    }

    // The built model's weights must be the file's, in order: name, dtype and shape; then the values, finite.
    private static void AssignWeights(Model model, List<Record> records, Content file)
    {
        var named = model.NamedWeights.ToArray();
        if (named.Length != records.Count)
        {
            throw new InvalidDataException(
                $"The model file holds {records.Count} weights; the config gives {named.Length} ({string.Join(", ", named.Select(n => n.Path))}).");
        }
        for (int i = 0; i < named.Length; i++)
        {
            var (path, weight) = named[i];
            var record = records[i];
            if (record.Name != path)
            {
                throw new InvalidDataException($"Weight {i} is '{record.Name}' in the file; the config gives '{path}'.");
            }
            if (record.DType != weight.Variable.dtype)
            {
                throw new InvalidDataException(
                    $"Weight '{path}' has dtype {WeightDType.Name(record.DType)} in the file; the config gives {WeightDType.Name(weight.Variable.dtype)}.");
            }
            if (!record.Shape.SequenceEqual(weight.Shape))
            {
                throw new InvalidDataException($"Weight '{path}' has shape {Shapes.Format(record.Shape)} in the file; the config gives {Shapes.Format(weight.Shape)}.");
            }
        }
        foreach (var (record, (path, weight)) in records.Zip(named))
        {
            file.Seek(record.Offset, file.End);
            using var scope = NewDisposeScope();
            var values = record.DType == ScalarType.Float32
                ? tensor(ReadValues<float>(file, record, float.IsFinite), record.Shape)
                : tensor(ReadValues<double>(file, record, double.IsFinite), record.Shape);
            weight.Assign(values, path);
        }
    }

    private static T[] ReadValues<T>(Content file, Record record, Func<T, bool> isFinite) where T : unmanaged
    {
        const int Slice = 1 << 20;
        var values = new T[record.Values];
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        for (int start = 0; start < values.Length; start += Slice)
        {
            var bytes = MemoryMarshal.AsBytes(values.AsSpan(start, Math.Min(Slice, values.Length - start)));
            file.ReadExactly(bytes, $"weight '{record.Name}'");
            ModelFileFormat.FixByteOrder(bytes, size);
        }
        for (int i = 0; i < values.Length; i++)
        {
            if (!isFinite(values[i]))
            {
                throw new InvalidDataException(
                    $"Weight '{record.Name}' holds a non-finite value ({Convert.ToString(values[i], CultureInfo.InvariantCulture)}) at flat index {i}; a model file holds finite weights only.");
            }
        }
        return values;
    }

    private sealed record Record(string Name, ScalarType DType, long[] Shape, long Values, long Offset);

    /// <summary>The file's bytes within a stream (from where reading began), read up to a moving end.</summary>
    private sealed class Content(Stream stream, long origin, long length)
    {
        private readonly Stream _stream = stream;
        private readonly long _origin = origin;
        private readonly byte[] _number = new byte[8];

        /// <summary>Bytes present.</summary>
        public long Length { get; } = length;

        /// <summary>Where reads stop: the end of the content, once the header has given it.</summary>
        public long End { get; private set; } = length;

        public long Position => _stream.Position - _origin;

        public long Remaining => End - Position;

        public void Seek(long position, long end)
        {
            End = end;
            _stream.Position = _origin + position;
        }

        public void Skip(long bytes) => _stream.Position += bytes;

        public int ReadAtMost(Span<byte> buffer) => _stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);

        /// <exception cref="InvalidDataException">Fewer than <paramref name="buffer"/>'s length remain; names <paramref name="what"/>.</exception>
        public void ReadExactly(Span<byte> buffer, string what)
        {
            if (buffer.Length > Remaining)
            {
                throw new InvalidDataException($"The model file's content ends inside {what}.");
            }
            _stream.ReadExactly(buffer);
        }

        public byte ReadByte(string what)
        {
            ReadExactly(_number.AsSpan(0, 1), what);
            return _number[0];
        }

        public ushort ReadUInt16(string what)
        {
            ReadExactly(_number.AsSpan(0, 2), what);
            return BinaryPrimitives.ReadUInt16LittleEndian(_number);
        }

        public uint ReadUInt32(string what)
        {
            ReadExactly(_number.AsSpan(0, 4), what);
            return BinaryPrimitives.ReadUInt32LittleEndian(_number);
        }

        public long ReadInt64(string what)
        {
            ReadExactly(_number, what);
            return BinaryPrimitives.ReadInt64LittleEndian(_number);
        }
    }
}
