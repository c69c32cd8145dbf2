using System.Runtime.InteropServices;
using System.Text;
using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>
/// MlNetRnn's weights-only file (what <see cref="ModelCheckpoint"/> writes with <c>saveWeightsOnly</c>), little-endian:
/// the string <c>MlNetRnn.Weights</c> (length-prefixed UTF-8, as <see cref="BinaryWriter"/> writes it), format version
/// (int32, 1), weight count (int32), then per weight: its path (<c>layer/weight</c>, length-prefixed UTF-8), element
/// type (int32: 6 float32, 7 float64), rank (int32), each dimension (int64), and the values in Keras layout, row-major.
/// </summary>
public static class WeightsFile
{
    /// <summary>The format version <see cref="Write"/> writes and <see cref="Read"/> reads.</summary>
    public const int FormatVersion = 1;

    private const string Magic = "MlNetRnn.Weights";

    /// <summary>Writes named weights to <paramref name="path"/> atomically (a temporary file in the same folder, then a rename).</summary>
    /// <exception cref="ArgumentException">A weight that is neither float32 nor float64.</exception>
    public static void Write(string path, IReadOnlyList<(string Name, Tensor Value)> weights)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(weights);
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = File.Create(temporary))
            using (var writer = new BinaryWriter(stream, Encoding.UTF8))
            {
                writer.Write(Magic);
                writer.Write(FormatVersion);
                writer.Write(weights.Count);
                foreach (var (name, value) in weights)
                {
                    writer.Write(name);
                    writer.Write((int)value.dtype);
                    writer.Write((int)value.dim());
                    foreach (long d in value.shape) writer.Write(d);
                    using var contiguous = value.detach().cpu().contiguous();
                    switch (value.dtype)
                    {
                        case ScalarType.Float32: writer.Write(MemoryMarshal.AsBytes(contiguous.data<float>().ToArray().AsSpan())); break;
                        case ScalarType.Float64: writer.Write(MemoryMarshal.AsBytes(contiguous.data<double>().ToArray().AsSpan())); break;
                        default: throw new ArgumentException($"Weight '{name}' is {value.dtype}; expected Float32 or Float64.", nameof(weights));
                    }
                }
            }
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Reads what <see cref="Write"/> wrote. The tensors belong to the caller (not to any dispose scope).</summary>
    /// <exception cref="InvalidDataException">Not a weights file, a newer version, or sizes that the bytes present cannot hold; the message names the check.</exception>
    public static IReadOnlyList<(string Name, Tensor Value)> Read(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        var result = new List<(string, Tensor)>();
        try
        {
            if (reader.ReadString() != Magic) throw new InvalidDataException($"'{path}' is not an MlNetRnn weights file (magic string).");
            int version = reader.ReadInt32();
            if (version < 1 || version > FormatVersion)
            {
                throw new InvalidDataException($"'{path}' has weights format version {version}; this library reads versions 1 to {FormatVersion}.");
            }
            int count = reader.ReadInt32();
            if (count < 0) throw new InvalidDataException($"'{path}' declares {count} weights (weight count).");
            for (int i = 0; i < count; i++)
            {
                string name = reader.ReadString();
                var dtype = (ScalarType)reader.ReadInt32();
                int elementSize = dtype switch
                {
                    ScalarType.Float32 => 4,
                    ScalarType.Float64 => 8,
                    _ => throw new InvalidDataException($"Weight '{name}' in '{path}' has element type code {(int)dtype}; expected 6 (float32) or 7 (float64)."),
                };
                int rank = reader.ReadInt32();
                if (rank is < 0 or > 8) throw new InvalidDataException($"Weight '{name}' in '{path}' has rank {rank} (rank check: 0 to 8).");
                var shape = new long[rank];
                long elements = 1;
                for (int d = 0; d < rank; d++)
                {
                    shape[d] = reader.ReadInt64();
                    if (shape[d] < 0) throw new InvalidDataException($"Weight '{name}' in '{path}' has a negative dimension {shape[d]}.");
                    elements = checked(elements * shape[d]);
                }
                long bytes = checked(elements * elementSize);
                if (bytes > int.MaxValue)
                {
                    throw new InvalidDataException($"Weight '{name}' in '{path}' declares {bytes} bytes; one weight is limited to 2 GB (size check).");
                }
                if (bytes > stream.Length - stream.Position)
                {
                    throw new InvalidDataException(
                        $"Weight '{name}' in '{path}' needs {bytes} bytes but only {stream.Length - stream.Position} remain (file truncated).");
                }
                var raw = reader.ReadBytes((int)bytes);
                var value = dtype == ScalarType.Float32
                    ? tensor(MemoryMarshal.Cast<byte, float>(raw).ToArray(), shape)
                    : tensor(MemoryMarshal.Cast<byte, double>(raw).ToArray(), shape);
                result.Add((name, value.DetachFromDisposeScope()));
            }
            return result;
        }
        catch (Exception e) when (e is EndOfStreamException or OverflowException)
        {
            foreach (var (_, t) in result) t.Dispose();
            throw new InvalidDataException($"'{path}' is truncated or corrupt: {e.Message}", e);
        }
        catch
        {
            foreach (var (_, t) in result) t.Dispose();
            throw;
        }
    }
}
