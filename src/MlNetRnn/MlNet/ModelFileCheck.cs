using System.IO.Compression;
using System.Text;

namespace MlNetRnn.MlNet;

/// <summary>
/// Checks an ML.NET model file's bytes before ML.NET reads them: the zip's entries (sizes and CRC-32), and
/// inside every <c>.idv</c> entry (ML.NET's binary data format, which compresses its blocks a second time)
/// every block's offsets and sizes, by decompressing it. The total expanded size is bounded, so a small
/// crafted file cannot make ML.NET allocate gigabytes. Throws <see cref="InvalidDataException"/> naming the
/// entry and the check that failed.
/// </summary>
internal static class ModelFileCheck
{
    /// <summary>The largest model file read: 256 MiB.</summary>
    public const long MaxFileBytes = 256L << 20;

    /// <summary>The most bytes that the zip entries and the blocks inside them may expand to, in total: 192 MiB
    /// (room for a payload of <see cref="TaggerPayload.MaxLength"/> characters stored in an .idv block; at this
    /// bound ML.NET's own load of a crafted file stays under 1 GB).</summary>
    public const long MaxExpandedBytes = 192L << 20;

    private const ulong IdvSignature = 0x00425644004C4D43;
    private const ulong IdvFirstReadableVersion = 0x0001000100010004;
    private const int IdvHeaderSize = 256;

    /// <summary>Checks the whole file; see the class summary.</summary>
    public static void Verify(byte[] file)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(new MemoryStream(file, writable: false), ZipArchiveMode.Read);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"not a zip archive ({e.Message})", e);
        }
        using (zip)
        {
            long budget = MaxExpandedBytes;
            foreach (var entry in zip.Entries)
            {
                if (entry.Length > budget)
                    throw new InvalidDataException(
                        $"zip entry '{entry.FullName}' expands to {entry.Length} bytes, beyond the {MaxExpandedBytes} a model file may hold");
                budget -= entry.Length;
                bool isIdv = entry.FullName.EndsWith(".idv", StringComparison.OrdinalIgnoreCase);
                var content = isIdv ? new byte[entry.Length] : null;
                uint crc = ReadEntry(entry, content);
                if (crc != entry.Crc32)
                    throw new InvalidDataException(
                        $"zip entry '{entry.FullName}' fails its CRC-32 check (stored {entry.Crc32:x8}, computed {crc:x8}): the file is damaged");
                if (content is not null)
                {
                    try
                    {
                        budget = CheckIdv(content, budget);
                    }
                    catch (Exception e) when (e is EndOfStreamException or IOException or OverflowException or FormatException)
                    {
                        throw new InvalidDataException($"zip entry '{entry.FullName}' is not readable ML.NET binary data ({e.Message})", e);
                    }
                    catch (InvalidDataException e)
                    {
                        throw new InvalidDataException($"zip entry '{entry.FullName}': {e.Message}", e);
                    }
                }
            }
        }
    }

    /// <summary>Reads an entry through, exactly as many bytes as its header says (kept in
    /// <paramref name="content"/> when given), and returns the CRC-32 of what was read.</summary>
    private static uint ReadEntry(ZipArchiveEntry entry, byte[]? content)
    {
        var crc = new Crc32();
        var buffer = new byte[81920];
        long total = 0;
        try
        {
            using var stream = entry.Open();
            int n;
            while ((n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, entry.Length - total + 1))) > 0)
            {
                if (total + n > entry.Length)
                    throw new InvalidDataException($"zip entry '{entry.FullName}' holds more than the {entry.Length} bytes its header says");
                if (content is not null) buffer.AsSpan(0, n).CopyTo(content.AsSpan((int)total));
                crc.Append(buffer.AsSpan(0, n));
                total += n;
            }
        }
        catch (Exception e) when (e is IOException or NotSupportedException)
        {
            throw new InvalidDataException($"zip entry '{entry.FullName}' cannot be read ({e.Message})", e);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith("zip entry", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"zip entry '{entry.FullName}' cannot be decompressed ({e.Message})", e);
        }
        if (total != entry.Length)
            throw new InvalidDataException($"zip entry '{entry.FullName}' holds {total} bytes, not the {entry.Length} its header says");
        return crc.Value;
    }

    /// <summary>Walks an .idv file's header, table of contents, lookup tables and metadata, decompressing
    /// every block within <paramref name="budget"/> bytes; returns the budget left.</summary>
    private static long CheckIdv(byte[] idv, long budget)
    {
        if (idv.Length < IdvHeaderSize + sizeof(ulong))
            throw new InvalidDataException($"ML.NET binary data of {idv.Length} bytes is shorter than its header");
        using var reader = new BinaryReader(new MemoryStream(idv, writable: false), Encoding.UTF8);
        if (reader.ReadUInt64() != IdvSignature)
            throw new InvalidDataException("has no ML.NET binary data signature");
        ulong version = reader.ReadUInt64();
        reader.ReadUInt64(); // the oldest reader version that understands the data
        long tableOfContents = reader.ReadInt64();
        long tail = reader.ReadInt64();
        long rows = reader.ReadInt64();
        int columns = reader.ReadInt32();
        if (version < IdvFirstReadableVersion)
            throw new InvalidDataException($"ML.NET binary data has version {version:x16}, older than any ML.NET release writes");
        if (tail != idv.Length - sizeof(ulong) || BitConverter.ToUInt64(idv, (int)tail) != System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(IdvSignature))
            throw new InvalidDataException("ML.NET binary data has a wrong tail (truncated or extended)");
        if (rows < 0 || columns < 0 || columns > idv.Length || tableOfContents < IdvHeaderSize || tableOfContents >= tail)
            throw new InvalidDataException($"ML.NET binary data has an impossible header ({rows} rows, {columns} columns, contents at {tableOfContents})");

        reader.BaseStream.Position = tableOfContents;
        var blockTables = new List<(long Offset, long RowsPerBlock, byte Compression, long Metadata)>();
        for (int c = 0; c < columns; c++)
        {
            reader.ReadString(); // column name
            var (compression, _) = ReadCodec(reader);
            long rowsPerBlock = reader.Read7BitEncodedInt64();
            long lookup = reader.ReadInt64();
            long metadata = reader.ReadInt64();
            if (rowsPerBlock <= 0 || lookup < IdvHeaderSize || lookup > tail || metadata < 0 || metadata > tail)
                throw new InvalidDataException($"ML.NET binary data column {c} has an impossible table entry");
            blockTables.Add((lookup, rowsPerBlock, compression, metadata));
        }
        foreach (var (lookup, rowsPerBlock, compression, metadata) in blockTables)
        {
            long blocks = rows == 0 ? 0 : (rows - 1) / rowsPerBlock + 1;
            if (blocks > (tail - lookup) / 16)
                throw new InvalidDataException($"ML.NET binary data lists {blocks} blocks, more than its bytes can hold");
            for (long b = 0; b < blocks; b++)
            {
                reader.BaseStream.Position = lookup + b * 16;
                long offset = reader.ReadInt64();
                int length = reader.ReadInt32();
                int expanded = reader.ReadInt32();
                budget = CheckBlock(idv, tail, offset, length, compression, expanded, budget);
            }
            if (metadata != 0)
            {
                reader.BaseStream.Position = metadata;
                long entries = reader.Read7BitEncodedInt64();
                if (entries < 0 || entries > tail)
                    throw new InvalidDataException($"ML.NET binary data lists {entries} metadata entries");
                for (long m = 0; m < entries; m++)
                {
                    reader.ReadString(); // metadata kind
                    var (metadataCompression, _) = ReadCodec(reader);
                    long offset = reader.ReadInt64();
                    long length = reader.Read7BitEncodedInt64();
                    long position = reader.BaseStream.Position;
                    budget = CheckBlock(idv, tail, offset, length, metadataCompression, expanded: -1, budget);
                    reader.BaseStream.Position = position;
                }
            }
        }
        return budget;
    }

    /// <summary>Codec name, parameters (skipped, after a bounds check) and compression kind.</summary>
    private static (byte Compression, string Codec) ReadCodec(BinaryReader reader)
    {
        var codec = reader.ReadString();
        long parameters = reader.Read7BitEncodedInt64();
        if (parameters < 0 || parameters > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new InvalidDataException($"ML.NET binary data codec '{codec}' declares {parameters} bytes of parameters, more than remain");
        reader.BaseStream.Position += parameters;
        byte compression = reader.ReadByte();
        if (compression > 2)
            throw new InvalidDataException($"ML.NET binary data uses an unknown compression kind {compression}");
        return (compression, codec);
    }

    /// <summary>Checks that a block lies inside the data and expands to exactly <paramref name="expanded"/>
    /// bytes (any size when -1), within the budget; returns the budget left.</summary>
    private static long CheckBlock(byte[] idv, long tail, long offset, long length, byte compression, long expanded, long budget)
    {
        if (offset < IdvHeaderSize || length < 0 || offset > tail || length > tail - offset)
            throw new InvalidDataException($"ML.NET binary data has a block outside the data (offset {offset}, {length} bytes)");
        if (expanded > budget)
            throw new InvalidDataException(
                $"ML.NET binary data has a block that expands to {expanded} bytes, beyond the {MaxExpandedBytes} a model file may hold");
        long limit = expanded >= 0 ? expanded : budget;
        long actual;
        if (compression == 0)
        {
            actual = length;
        }
        else
        {
            var raw = new MemoryStream(idv, (int)offset, (int)length, writable: false);
            using Stream inflater = compression == 1 ? new DeflateStream(raw, CompressionMode.Decompress) : new ZLibStream(raw, CompressionMode.Decompress);
            var buffer = new byte[81920];
            actual = 0;
            int n;
            while ((n = inflater.Read(buffer, 0, buffer.Length)) > 0)
            {
                actual += n;
                if (actual > limit)
                    throw new InvalidDataException(expanded >= 0
                        ? $"ML.NET binary data has a block that expands beyond the {expanded} bytes it declares"
                        : $"ML.NET binary data has a block that expands beyond the {MaxExpandedBytes} bytes a model file may hold");
            }
        }
        if (expanded >= 0 && actual != expanded)
            throw new InvalidDataException($"ML.NET binary data has a block of {actual} bytes where it declares {expanded}");
        if (actual > budget)
            throw new InvalidDataException($"ML.NET binary data expands beyond the {MaxExpandedBytes} bytes a model file may hold");
        return budget - actual;
    }

    /// <summary>CRC-32 (IEEE 802.3, reflected, as zip uses).</summary>
    private sealed class Crc32
    {
        private static readonly uint[] Table = CreateTable();
        private uint _state = 0xFFFFFFFF;

        public uint Value => ~_state;

        public void Append(ReadOnlySpan<byte> bytes)
        {
            uint state = _state;
            foreach (byte b in bytes) state = Table[(state ^ b) & 0xFF] ^ (state >> 8);
            _state = state;
        }

        private static uint[] CreateTable()
        {
            var table = new uint[256];
            for (uint i = 0; i < 256; i++)
            {
                uint c = i;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
                table[i] = c;
            }
            return table;
        }
    }
}
