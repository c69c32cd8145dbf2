using System.Text;
using MlNetRnn.Models;

namespace MlNetRnn.MlNet;

/// <summary>
/// The text that carries a trained network inside an ML.NET model file (as the value of a ValueMapping):
/// <c>MlNetRnn.SequenceTagger.Payload|&lt;format version&gt;|&lt;model id&gt;|&lt;base64 of SequenceTaggerNetwork.Save&gt;</c>.
/// </summary>
internal static class TaggerPayload
{
    /// <summary>Magic prefix (includes the first separator).</summary>
    public const string Magic = "MlNetRnn.SequenceTagger.Payload|";

    /// <summary>The format version this library writes; it reads versions 1..<see cref="FormatVersion"/>.</summary>
    public const int FormatVersion = 1;

    private const char Separator = '|';
    private const int MaxHeaderLength = 256;

    public static string Encode(SequenceTaggerNetwork network, string modelId)
    {
        using var ms = new MemoryStream();
        network.Save(ms);
        return Encode(FormatVersion, modelId, Convert.ToBase64String(ms.GetBuffer(), 0, checked((int)ms.Length)));
    }

    /// <summary>Builds a payload from its parts (tests use it to write foreign or future payloads).</summary>
    public static string Encode(int formatVersion, string modelId, string base64Body) =>
        $"{Magic}{formatVersion}{Separator}{modelId}{Separator}{base64Body}";

    /// <summary>Reads the header only (cheap, done per row): checks magic and version, returns the model id
    /// and where the body starts.</summary>
    public static (string ModelId, int BodyStart) ReadHeader(ReadOnlySpan<char> payload)
    {
        if (payload.IsEmpty)
            throw new InvalidDataException("MlNetRnn tagger payload is empty (the model file is damaged or was not written by MlNetRnn)");
        if (!payload.StartsWith(Magic, StringComparison.Ordinal))
        {
            var shown = payload[..Math.Min(payload.Length, 40)].ToString();
            throw new InvalidDataException(
                $"MlNetRnn tagger payload has a wrong magic (expected it to start with '{Magic}', found '{shown}'); the model was not written by MlNetRnn or is damaged");
        }
        var rest = payload[Magic.Length..];
        int v = rest[..Math.Min(rest.Length, MaxHeaderLength)].IndexOf(Separator);
        if (v <= 0 || !int.TryParse(rest[..v], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int version))
            throw new InvalidDataException("MlNetRnn tagger payload has an unreadable format version (the payload is truncated or corrupt)");
        if (version > FormatVersion)
            throw new InvalidDataException(
                $"MlNetRnn tagger payload has format version {version}, newer than this library reads (up to {FormatVersion}); load it with a newer MlNetRnn");
        if (version < 1)
            throw new InvalidDataException($"MlNetRnn tagger payload has an invalid format version {version}");
        var afterVersion = rest[(v + 1)..];
        int i = afterVersion[..Math.Min(afterVersion.Length, MaxHeaderLength)].IndexOf(Separator);
        if (i <= 0)
            throw new InvalidDataException("MlNetRnn tagger payload has no model id (the payload is truncated or corrupt)");
        return (afterVersion[..i].ToString(), Magic.Length + v + 1 + i + 1);
    }

    /// <summary>Fully decodes a payload into a live network. Throws <see cref="InvalidDataException"/>.</summary>
    public static SequenceTaggerNetwork Decode(ReadOnlySpan<char> payload)
    {
        var (modelId, bodyStart) = ReadHeader(payload);
        var body = payload[bodyStart..];
        if (body.IsEmpty)
            throw new InvalidDataException($"MlNetRnn tagger payload of model {modelId} has no network data (truncated)");
        byte[] bytes = new byte[body.Length / 4 * 3 + 3];
        if (!Convert.TryFromBase64Chars(body, bytes, out int written))
            throw new InvalidDataException(
                $"MlNetRnn tagger payload of model {modelId} is not valid base64 ({body.Length} characters; truncated or corrupt)");
        try
        {
            using var ms = new MemoryStream(bytes, 0, written, writable: false);
            return SequenceTaggerNetwork.Load(ms);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"MlNetRnn tagger payload of model {modelId} holds an unreadable network: {e.Message}", e);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ArgumentException or FormatException or DecoderFallbackException)
        {
            throw new InvalidDataException($"MlNetRnn tagger payload of model {modelId} holds an unreadable network: {e.Message}", e);
        }
    }
}
