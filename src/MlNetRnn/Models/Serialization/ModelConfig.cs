using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MlNetRnn.Layers;
using static TorchSharp.torch;

namespace MlNetRnn.Models.Serialization;

/// <summary>
/// A model's architecture as Keras 3's <c>model.to_json()</c> shapes it: <c>{"class_name": "Functional" |
/// "Sequential", "config": {"name", "dtype", "layers": […], …}}</c> (see docs/model-file-format.md). Reading it
/// constructs layers through <see cref="LayerRegistry"/> only: nothing in it runs code.
/// </summary>
internal static class ModelConfig
{
    /// <summary>The config as compact JSON text.</summary>
    /// <exception cref="InvalidOperationException">A Sequential model that is not built yet.</exception>
    public static string ToJson(Model model) => Describe(model).ToJsonString();

    /// <summary>The config as a JSON object.</summary>
    public static JsonObject Describe(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model is Sequential sequential ? SequentialConfig.Write(sequential) : FunctionalConfig.Write(model);
    }

    /// <summary>Rebuilds the model a config describes, with fresh weights drawn from <paramref name="seed"/>.</summary>
    /// <param name="json">The config text.</param>
    /// <param name="seed">The new model's seed. Default: the global generator.</param>
    /// <param name="layerFromJson">Makes a layer from its <c>{"class_name", "config"}</c>. Default <see cref="LayerRegistry.FromJson"/>.</param>
    /// <exception cref="InvalidDataException">The config is malformed, names an unknown class, does not fit together,
    /// or implies more than <see cref="ModelFileLimits.MaxModelValues"/> weight values.</exception>
    public static Model FromJson(string json, int? seed, Func<JsonObject, Layer>? layerFromJson = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var blueprint = Parse(json, layerFromJson ?? LayerRegistry.FromJson);
        long values = 0;
        foreach (var layer in blueprint.Layers)
        {
            long implied = ModelBlueprint.ImpliedValues(layer);
            values = implied > long.MaxValue - values ? long.MaxValue : values + implied;
        }
        if (values > ModelFileLimits.MaxModelValues)
        {
            throw new InvalidDataException(
                $"The model config implies {Count(values)} weight values; at most {ModelFileLimits.MaxModelValues} are allowed.");
        }
        return blueprint.Build(seed);
    }

    /// <summary>Reads a config into a <see cref="ModelBlueprint"/>: layers constructed and connected, no weight allocated.</summary>
    /// <exception cref="InvalidDataException">The config is malformed, names an unknown class or does not fit together.</exception>
    public static ModelBlueprint Parse(string json, Func<JsonObject, Layer> layerFromJson)
    {
        int bytes = Encoding.UTF8.GetByteCount(json);
        if (bytes > ModelFileLimits.MaxConfigBytes)
        {
            throw new InvalidDataException($"The model config takes {bytes} bytes; at most {ModelFileLimits.MaxConfigBytes} are allowed.");
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = ModelFileLimits.MaxJsonDepth });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The model config is not valid JSON: {e.Message}", e);
        }
        if (root is not JsonObject model)
        {
            throw new InvalidDataException($"The model config must be a JSON object {{\"class_name\", \"config\"}}; received {Abbreviate(root)}.");
        }
        var className = model["class_name"] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
        if (className is not ("Functional" or "Sequential"))
        {
            throw new InvalidDataException(
                $"The model config's 'class_name' must be \"Functional\" or \"Sequential\"; received {Abbreviate(model["class_name"])}.");
        }
        var config = model["config"] as JsonObject
            ?? throw new InvalidDataException($"The model config needs a 'config' object; received {Abbreviate(model["config"])}.");
        var reader = new LayerConfig(className, config);
        ScalarType? dtype = null;
        if (reader.String("dtype", null) is { } dtypeName)
        {
            dtype = WeightDType.FromName(dtypeName)
                ?? throw new InvalidDataException($"The {className} config's 'dtype' must be \"float32\" or \"float64\"; received \"{dtypeName}\".");
        }
        try
        {
            return className == "Sequential"
                ? SequentialConfig.Read(reader, dtype, layerFromJson)
                : FunctionalConfig.Read(reader, dtype, layerFromJson);
        }
        catch (ArgumentException e)
        {
            // A layer that does not fit its inputs, an Input with a bad shape.
            throw Invalid(e);
        }
    }

    /// <summary>An <see cref="InvalidDataException"/> for a config whose layers do not fit together, with the
    /// layer's own message (without ArgumentException's "(Parameter …)" suffix).</summary>
    public static InvalidDataException Invalid(ArgumentException e)
    {
        var reason = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
        return new InvalidDataException($"The model config is not valid: {reason}", e);
    }

    /// <summary>The model's weights' dtype name, or null for a model without weights.</summary>
    public static string? DTypeName(Model model) =>
        model.NamedWeights.Select(w => WeightDType.Name(w.Weight.Variable.dtype)).FirstOrDefault();

    /// <summary>The array under <paramref name="key"/> of <paramref name="owner"/> (e.g. "Functional config"), of at
    /// most <paramref name="max"/> items.</summary>
    public static JsonArray Array(JsonObject obj, string key, string owner, int max)
    {
        var node = obj[key];
        if (node is not JsonArray array)
        {
            throw new InvalidDataException(node is null
                ? $"The {owner} has no '{key}'."
                : $"The {owner}'s '{key}' must be an array; received {Abbreviate(node)}.");
        }
        if (array.Count > max)
        {
            throw new InvalidDataException($"The {owner}'s '{key}' has {array.Count} items; at most {max} are allowed.");
        }
        return array;
    }

    /// <summary>JSON text cut to 80 characters, for messages.</summary>
    public static string Abbreviate(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "nothing";
        return text.Length > 80 ? text[..80] + "…" : text;
    }

    private static string Count(long values) => values == long.MaxValue ? "more than 2^63" : values.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
