using System.Text.Json.Nodes;

namespace MlNetRnn.Layers;

/// <summary>
/// Turns a Keras layer description <c>{"class_name": …, "config": {…}}</c> back into a layer. The classes are a fixed
/// list (no reflection, no type names from the file): nothing read here runs code.
/// </summary>
public static class LayerRegistry
{
    private static readonly Dictionary<string, Func<LayerConfig, Layer>> FromConfigs = new(StringComparer.Ordinal)
    {
        ["Dense"] = Dense.FromConfig,
        ["Embedding"] = Embedding.FromConfig,
        ["Dropout"] = Dropout.FromConfig,
        ["Concatenate"] = Concatenate.FromConfig,
        ["Conv1D"] = Conv1D.FromConfig,
        ["GlobalMaxPooling1D"] = GlobalMaxPooling1D.FromConfig,
        ["TimeDistributed"] = config => TimeDistributed.FromConfig(config, FromJson),
        ["SimpleRNN"] = SimpleRNN.FromConfig,
        ["LSTM"] = LSTM.FromConfig,
        ["GRU"] = GRU.FromConfig,
        ["Bidirectional"] = config => Bidirectional.FromConfig(config, FromJson),
    };

    /// <summary>The class names <see cref="FromJson"/> knows, e.g. <c>Dense</c>.</summary>
    public static IReadOnlyCollection<string> ClassNames => FromConfigs.Keys;

    /// <summary>Makes the layer a <c>{"class_name", "config"}</c> object describes (the inverse of
    /// <see cref="ToJson"/>); its weights are not built.</summary>
    /// <exception cref="InvalidDataException">The object has no class name or config, the class is unknown, or the
    /// config does not fit the class.</exception>
    public static Layer FromJson(JsonObject classNameAndConfig)
    {
        ArgumentNullException.ThrowIfNull(classNameAndConfig);
        var className = classNameAndConfig["class_name"] is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.String
            ? value.GetValue<string>()
            : throw new InvalidDataException($"A layer description needs a string 'class_name'; received {Abbreviate(classNameAndConfig)}.");
        if (!FromConfigs.TryGetValue(className, out var fromConfig))
        {
            throw new InvalidDataException($"Unknown layer class '{className}'; expected one of: {string.Join(", ", FromConfigs.Keys)}.");
        }
        var config = classNameAndConfig["config"] as JsonObject
            ?? throw new InvalidDataException($"The {className} description needs a 'config' object; received {Abbreviate(classNameAndConfig)}.");
        try
        {
            return fromConfig(new LayerConfig(className, config));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The {className} config is not valid: {e.Message}", e);
        }
    }

    /// <summary>The layer's <c>{"class_name", "config"}</c> object (Keras <c>serialize_keras_object</c>, without weights).</summary>
    public static JsonObject ToJson(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return new JsonObject { ["class_name"] = layer.TypeName, ["config"] = layer.GetConfig() };
    }

    private static string Abbreviate(JsonNode node)
    {
        var text = node.ToJsonString();
        return text.Length > 80 ? text[..80] + "…" : text;
    }
}
