using System.Text.Json.Nodes;

namespace MlNetRnn.Layers;

/// <summary>
/// Reads a layer's Keras-style config (the JSON object <see cref="Layer.GetConfig"/> writes): typed values with
/// messages that name the layer class, the key, what was received and what was expected. Used by each layer's
/// <c>FromConfig</c>; nothing read here runs code.
/// </summary>
public sealed class LayerConfig
{
    private readonly JsonObject _config;

    /// <param name="className">The Keras class name, e.g. <c>LSTM</c>, for messages.</param>
    /// <param name="config">The config object.</param>
    public LayerConfig(string className, JsonObject config)
    {
        ClassName = className;
        _config = config ?? throw new ArgumentNullException(nameof(config));
    }

    /// <summary>The Keras class name the config belongs to.</summary>
    public string ClassName { get; }

    /// <summary>The raw config object.</summary>
    public JsonObject Json => _config;

    /// <summary>The layer name (<c>name</c>), or null.</summary>
    public string? Name => String("name", null);

    /// <summary>The per-sample input shape (<c>input_shape</c>), or null.</summary>
    public long[]? InputShape => LongArray("input_shape");

    public int Int(string key, int? defaultValue = null) =>
        Read(key, defaultValue, n => n.GetValueKind() == System.Text.Json.JsonValueKind.Number && n.AsValue().TryGetValue(out int v) ? v : null, "an integer");

    public double Double(string key, double? defaultValue = null) =>
        Read(key, defaultValue, n => n.GetValueKind() == System.Text.Json.JsonValueKind.Number && n.AsValue().TryGetValue(out double v) && double.IsFinite(v) ? v : null, "a finite number");

    public bool Bool(string key, bool? defaultValue = null) =>
        Read(key, defaultValue, n => n.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.True => true,
            System.Text.Json.JsonValueKind.False => false,
            _ => (bool?)null,
        }, "true or false");

    /// <summary>A string value; <paramref name="defaultValue"/> when the key is absent or null.</summary>
    public string? String(string key, string? defaultValue)
    {
        var node = _config[key];
        if (node is null) return defaultValue;
        return node.GetValueKind() == System.Text.Json.JsonValueKind.String
            ? node.GetValue<string>()
            : throw Invalid(key, "a string", node);
    }

    /// <summary>A required string value.</summary>
    public string String(string key) => String(key, null) ?? throw Missing(key);

    /// <summary>An array of integers, or null when absent.</summary>
    public long[]? LongArray(string key)
    {
        var node = _config[key];
        if (node is null) return null;
        if (node is not JsonArray array || array.Count > 16) throw Invalid(key, "an array of at most 16 integers", node);
        return array.Select(item => item is not null && item.GetValueKind() == System.Text.Json.JsonValueKind.Number && item.AsValue().TryGetValue(out long v)
            ? v : throw Invalid(key, "an array of integers", node)).ToArray();
    }

    /// <summary>An integer written either alone or as a one-element array, as Keras writes Conv1D's sizes
    /// (<c>"kernel_size": [3]</c>); <paramref name="defaultValue"/> when the key is absent.</summary>
    public int SingleInt(string key, int? defaultValue = null)
    {
        if (_config[key] is not JsonArray array)
        {
            return Int(key, defaultValue);
        }
        return array.Count == 1 && array[0] is { } item && item.GetValueKind() == System.Text.Json.JsonValueKind.Number && item.AsValue().TryGetValue(out int v)
            ? v
            : throw Invalid(key, "an integer or an array of one integer", array);
    }

    /// <summary>A nested object (e.g. a wrapped layer's <c>{class_name, config}</c>).</summary>
    public JsonObject Object(string key) =>
        _config[key] switch
        {
            JsonObject o => o,
            null => throw Missing(key),
            var other => throw Invalid(key, "an object", other),
        };

    private T Read<T>(string key, T? defaultValue, Func<JsonNode, T?> parse, string expected) where T : struct
    {
        var node = _config[key];
        if (node is null) return defaultValue ?? throw Missing(key);
        return parse(node) ?? throw Invalid(key, expected, node);
    }

    private InvalidDataException Missing(string key) =>
        new($"The {ClassName} config has no '{key}'.");

    private InvalidDataException Invalid(string key, string expected, JsonNode node)
    {
        var text = node.ToJsonString();
        if (text.Length > 60) text = text[..60] + "…";
        return new($"The {ClassName} config's '{key}' must be {expected}; received {text}.");
    }
}
