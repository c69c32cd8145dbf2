using System.Text;

namespace MlNetRnn.Models.Serialization;

/// <summary>
/// The layout of a model file, version 1 (docs/model-file-format.md): header (magic, version, content length), the
/// config JSON, the weights (name, dtype, shape, raw little-endian values), then the SHA-256 of everything before it.
/// </summary>
internal static class ModelFileFormat
{
    /// <summary>The newest version written and read.</summary>
    public const uint Version = 1;

    /// <summary>The file's first bytes.</summary>
    public static ReadOnlySpan<byte> Magic => "MLNETRNN"u8;

    /// <summary>Magic, version (uint32), content length (uint64).</summary>
    public const int HeaderBytes = 8 + 4 + 8;

    /// <summary>The smallest content: a header, an empty config's length and a weight count.</summary>
    public const int MinContentBytes = HeaderBytes + 4 + 4;

    public const int ChecksumBytes = 32;

    /// <summary>Strict UTF-8: invalid bytes throw rather than turn into replacement characters.</summary>
    public static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Turns raw values between little-endian and this machine's order (nothing to do on little-endian machines).</summary>
    public static void FixByteOrder(Span<byte> values, int valueSize)
    {
        if (BitConverter.IsLittleEndian) return;
        for (int i = 0; i < values.Length; i += valueSize)
        {
            values.Slice(i, valueSize).Reverse();
        }
    }
}
