using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace MlNetRnn.Models;

// The hyper-parameters of a version-2 network: one JSON object, every settable public property of
// SequenceTaggerHyperParameters under its C# name, enums as names ("Gru"), e.g.
// {"Cell":"Gru","Bidirectional":true,"Layers":2,…,"EmbeddingsFile":null,…,"Seed":7,…}.
// Reading is strict: every stored property must be present, and no other key, so that a file never silently takes a
// default (a property added later needs a value chosen here for files written before it, or a new format version).
// Version 3 added the properties of AddedInVersion3; a version-2 file must not name them and reads them as the values
// that reproduce what version 2 computed.
public sealed partial class SequenceTaggerNetwork
{
    /// <summary>The most bytes of hyper-parameters JSON a stored network may declare (64 KiB).</summary>
    public const int MaxHyperParametersBytes = 64 << 10;

    private static readonly JsonSerializerOptions HyperParametersJson = new()
    {
        Converters = { new JsonStringEnumConverter(allowIntegerValues: false) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        MaxDepth = 4,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { StoredPropertiesOnly } },
    };

    /// <summary>The hyper-parameters format version 3 added, with the values that give version 2's behaviour.</summary>
    internal static readonly IReadOnlyDictionary<string, JsonNode> AddedInVersion3 = new Dictionary<string, JsonNode>(StringComparer.Ordinal)
    {
        [nameof(SequenceTaggerHyperParameters.CharBoundaryMarkers)] = JsonValue.Create(false),
        [nameof(SequenceTaggerHyperParameters.AdamBeta2)] = JsonValue.Create(0.999),
        [nameof(SequenceTaggerHyperParameters.WordDropout)] = JsonValue.Create(0.0),
        [nameof(SequenceTaggerHyperParameters.EmaMomentum)] = JsonValue.Create(0.0),
    };

    /// <summary>The names of the stored hyper-parameters.</summary>
    internal static IReadOnlyList<string> StoredHyperParameters =>
        HyperParametersJson.GetTypeInfo(typeof(SequenceTaggerHyperParameters)).Properties.Select(p => p.Name).ToArray();

    // Computed properties (no setter) are not stored; every stored one is required.
    private static void StoredPropertiesOnly(JsonTypeInfo info)
    {
        if (info.Type != typeof(SequenceTaggerHyperParameters)) return;
        for (int i = info.Properties.Count - 1; i >= 0; i--)
        {
            if (info.Properties[i].Set is null) info.Properties.RemoveAt(i);
            else info.Properties[i].IsRequired = true;
        }
    }

    /// <summary>The hyper-parameters as UTF-8 JSON (a plain copy: no options of a derived class).</summary>
    internal static byte[] WriteHyperParameters(SequenceTaggerHyperParameters hyperParameters) =>
        JsonSerializer.SerializeToUtf8Bytes(hyperParameters.CopyHyperParameters(hyperParameters.Seed), HyperParametersJson);

    /// <summary>Reads what <see cref="WriteHyperParameters"/> wrote (format <paramref name="version"/> 3), or what version 2
    /// wrote (without <see cref="AddedInVersion3"/>, which then take their version-2 values); the values are not
    /// range-checked here.</summary>
    /// <exception cref="InvalidDataException">Not UTF-8 JSON (the parser's message says where), not an object, a missing, unknown or repeated
    /// hyper-parameter, or a value of the wrong type; the message names it.</exception>
    internal static SequenceTaggerHyperParameters ReadHyperParameters(byte[] json, int version = FormatVersion)
    {
        const string What = "The sequence tagger network's hyper-parameters";
        try
        {
            using (var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = HyperParametersJson.MaxDepth }))
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                    throw new InvalidDataException($"{What} are a JSON {document.RootElement.ValueKind}; expected an object.");
                var stored = version >= 3 ? StoredHyperParameters : StoredHyperParameters.Except(AddedInVersion3.Keys).ToArray();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (!stored.Contains(property.Name, StringComparer.Ordinal))
                        throw new InvalidDataException($"{What} name an unknown hyper-parameter '{Shorten(property.Name)}'.");
                    if (!seen.Add(property.Name))
                        throw new InvalidDataException($"{What} give '{property.Name}' twice.");
                }
                var missing = stored.FirstOrDefault(name => !seen.Contains(name));
                if (missing is not null)
                    throw new InvalidDataException($"{What} lack '{missing}'.");
            }
            if (version < 3)
            {
                var upgraded = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = HyperParametersJson.MaxDepth })!.AsObject();
                foreach (var (name, value) in AddedInVersion3) upgraded[name] = value.DeepClone();
                json = JsonSerializer.SerializeToUtf8Bytes(upgraded);
            }
            return JsonSerializer.Deserialize<SequenceTaggerHyperParameters>(json, HyperParametersJson)
                ?? throw new InvalidDataException($"{What} are null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{What} are not readable JSON: {e.Message}", e);
        }
    }
}
