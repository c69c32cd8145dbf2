using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MlNetRnn.Models;

namespace MlNetRnn.MlNet;

/// <summary>
/// The text that carries a trained network inside an ML.NET model file (as the value of a ValueMapping).
/// Version 2: <c>MlNetRnn.SequenceTagger.Payload|2|&lt;model id&gt;|&lt;SHA-256 of the network bytes, 64 hex
/// digits&gt;|&lt;base64 of SequenceTaggerNetwork.Save&gt;</c>. Version 1 (still read) has no checksum field.
/// </summary>
/// <remarks>The framing says nothing about the network inside, which carries its own format version
/// (<see cref="SequenceTaggerNetwork.FormatVersion"/>: 1 for the first SimpleRNN tagger, 2 for any architecture), so
/// a new network format does not change this one: a library too old for the network names the network's version.</remarks>
internal static class TaggerPayload
{
    /// <summary>Magic prefix (includes the first separator).</summary>
    public const string Magic = "MlNetRnn.SequenceTagger.Payload|";

    /// <summary>The format version this library writes; it reads versions 1..<see cref="FormatVersion"/>.</summary>
    public const int FormatVersion = 2;

    /// <summary>The first version whose header carries the SHA-256 of the network bytes.</summary>
    public const int FirstVersionWithChecksum = 2;

    /// <summary>The longest payload read: 64 Mi characters, the base64 of a network of up to
    /// <see cref="SequenceTaggerNetwork.MaxStoredBytes"/> and a header (about 12.5 million float weights; the default
    /// EWT tagger is 12 MB). Checked before decoding, so a crafted length cannot exhaust memory.</summary>
    public const int MaxLength = 64 << 20;

    private const char Separator = '|';
    private const int MaxHeaderLength = 256;
    private const int ChecksumLength = 64;

    /// <summary>The parsed header: model id, SHA-256 of the network bytes (null in version 1) and where the
    /// base64 body starts.</summary>
    public readonly record struct Header(int Version, string ModelId, string? Checksum, int BodyStart);

    public static string Encode(SequenceTaggerNetwork network, string modelId)
    {
        using var ms = new MemoryStream();
        network.Save(ms);
        var bytes = ms.GetBuffer().AsSpan(0, checked((int)ms.Length));
        return Encode(FormatVersion, modelId, Checksum(bytes), Convert.ToBase64String(bytes));
    }

    /// <summary>Builds a payload from its parts (tests use it to write foreign, damaged or future payloads).
    /// From version 2 on, the checksum is that of the decoded body (of no bytes when the body is not base64).</summary>
    public static string Encode(int formatVersion, string modelId, string base64Body)
    {
        if (formatVersion < FirstVersionWithChecksum)
            return $"{Magic}{formatVersion}{Separator}{modelId}{Separator}{base64Body}";
        var bytes = new byte[base64Body.Length / 4 * 3 + 3];
        var checksum = Convert.TryFromBase64String(base64Body, bytes, out int written) ? Checksum(bytes.AsSpan(0, written)) : Checksum([]);
        return Encode(formatVersion, modelId, checksum, base64Body);
    }

    /// <summary>Builds a version-2-or-later payload with the given checksum text.</summary>
    public static string Encode(int formatVersion, string modelId, string checksum, string base64Body) =>
        $"{Magic}{formatVersion}{Separator}{modelId}{Separator}{checksum}{Separator}{base64Body}";

    /// <summary>SHA-256 of <paramref name="bytes"/> as 64 lower-case hex digits.</summary>
    public static string Checksum(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>A key for the content of a whole payload (SHA-256 of its characters): two payloads share a
    /// key only if they are the same text.</summary>
    public static string ContentKey(ReadOnlySpan<char> payload) =>
        Checksum(System.Runtime.InteropServices.MemoryMarshal.AsBytes(payload));

    /// <summary>Reads the header only: checks magic, length, version and fields. Throws
    /// <see cref="InvalidDataException"/> naming the check that failed.</summary>
    public static Header ReadHeader(ReadOnlySpan<char> payload)
    {
        if (payload.IsEmpty)
            throw new InvalidDataException("MlNetRnn tagger payload is empty (the model file is damaged or was not written by MlNetRnn)");
        if (!payload.StartsWith(Magic, StringComparison.Ordinal))
        {
            var shown = payload[..Math.Min(payload.Length, 40)].ToString();
            throw new InvalidDataException(
                $"MlNetRnn tagger payload has a wrong magic (expected it to start with '{Magic}', found '{shown}'); the model was not written by MlNetRnn or is damaged");
        }
        if (payload.Length > MaxLength)
            throw new InvalidDataException(
                $"MlNetRnn tagger payload is {payload.Length} characters long, more than the {MaxLength} this library reads (damaged or crafted)");
        int position = Magic.Length;
        var versionText = NextField(payload, ref position, "format version");
        if (!int.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out int version))
            throw new InvalidDataException("MlNetRnn tagger payload has an unreadable format version (the payload is truncated or corrupt)");
        if (version > FormatVersion)
            throw new InvalidDataException(
                $"MlNetRnn tagger payload has format version {version}, newer than this library reads (up to {FormatVersion}); load it with a newer MlNetRnn");
        if (version < 1)
            throw new InvalidDataException($"MlNetRnn tagger payload has an invalid format version {version}");
        var modelId = NextField(payload, ref position, "model id").ToString();
        string? checksum = null;
        if (version >= FirstVersionWithChecksum)
        {
            var field = NextField(payload, ref position, "checksum");
            if (field.Length != ChecksumLength || !IsLowerHex(field))
                throw new InvalidDataException(
                    $"MlNetRnn tagger payload of model {modelId} has a malformed checksum field (expected {ChecksumLength} hex digits)");
            checksum = field.ToString();
        }
        return new Header(version, modelId, checksum, position);
    }

    /// <summary>Fully decodes a payload into a live network: header, base64, checksum (version 2 on), then
    /// the network's own checks. Throws <see cref="InvalidDataException"/> naming the failed check.</summary>
    public static SequenceTaggerNetwork Decode(ReadOnlySpan<char> payload)
    {
        var header = ReadHeader(payload);
        var body = payload[header.BodyStart..];
        if (body.IsEmpty)
            throw new InvalidDataException($"MlNetRnn tagger payload of model {header.ModelId} has no network data (truncated)");
        byte[] bytes = new byte[body.Length / 4 * 3 + 3];
        if (!Convert.TryFromBase64Chars(body, bytes, out int written))
            throw new InvalidDataException(
                $"MlNetRnn tagger payload of model {header.ModelId} is not valid base64 ({body.Length} characters; truncated or corrupt)");
        if (header.Checksum is { } expected)
        {
            var actual = Checksum(bytes.AsSpan(0, written));
            if (!string.Equals(expected, actual, StringComparison.Ordinal))
                throw new InvalidDataException(
                    $"MlNetRnn tagger payload of model {header.ModelId} fails its checksum (SHA-256 of the network bytes is {actual}, the header says {expected}): the file is damaged");
        }
        try
        {
            using var ms = new MemoryStream(bytes, 0, written, writable: false);
            return SequenceTaggerNetwork.Load(ms);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException or ArgumentException
                                      or FormatException or DecoderFallbackException)
        {
            throw new InvalidDataException($"MlNetRnn tagger payload of model {header.ModelId} holds an unreadable network: {e.Message}", e);
        }
    }

    private static ReadOnlySpan<char> NextField(ReadOnlySpan<char> payload, ref int position, string what)
    {
        var rest = payload[position..];
        int end = rest[..Math.Min(rest.Length, MaxHeaderLength)].IndexOf(Separator);
        if (end <= 0)
            throw new InvalidDataException($"MlNetRnn tagger payload has no {what} (the payload is truncated or corrupt)");
        position += end + 1;
        return rest[..end];
    }

    private static bool IsLowerHex(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f'))) return false;
        return true;
    }
}
