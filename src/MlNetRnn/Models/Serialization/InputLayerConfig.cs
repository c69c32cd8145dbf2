using System.Text.Json.Nodes;
using MlNetRnn.Layers;

namespace MlNetRnn.Models.Serialization;

/// <summary>An <see cref="Input"/> as Keras's <c>InputLayer</c>: <c>{"class_name": "InputLayer", "config": {"name",
/// "shape", "dtype"}}</c>, the shape per sample with −1 for a size known only at run time.</summary>
internal static class InputLayerConfig
{
    public const string ClassName = "InputLayer";

    private static readonly string[] Dtypes = ["float32", "float64", "int32", "int64"];

    /// <param name="input">The input.</param>
    /// <param name="takesIds">Whether it feeds an <see cref="Embedding"/> (its dtype is then int64).</param>
    /// <param name="floatDType">The model's weights' dtype name, or null for float32.</param>
    public static JsonObject Write(Input input, bool takesIds, string? floatDType) => new()
    {
        ["class_name"] = ClassName,
        ["config"] = new JsonObject
        {
            ["name"] = input.Name,
            ["shape"] = new JsonArray(input.Shape.Select(d => (JsonNode)d).ToArray()),
            ["dtype"] = takesIds ? "int64" : floatDType ?? "float32",
        },
    };

    /// <summary>The input an InputLayer entry describes, and its dtype name.</summary>
    /// <exception cref="InvalidDataException">A key is missing or malformed.</exception>
    /// <exception cref="ArgumentException">The shape is not valid.</exception>
    public static (Input Input, string DType) Read(JsonObject entry)
    {
        var config = entry["config"] as JsonObject
            ?? throw new InvalidDataException($"The InputLayer description needs a 'config' object; received {ModelConfig.Abbreviate(entry["config"])}.");
        var reader = new LayerConfig(ClassName, config);
        var shape = reader.LongArray("shape") ?? throw new InvalidDataException("The InputLayer config has no 'shape'.");
        var dtype = reader.String("dtype", "float32")!;
        if (!Dtypes.Contains(dtype))
        {
            throw new InvalidDataException($"The InputLayer config's 'dtype' must be one of {string.Join(", ", Dtypes)}; received \"{dtype}\".");
        }
        return (new Input(shape, reader.Name), dtype);
    }

    /// <summary>Whether a layer reads integer ids: an Embedding, possibly wrapped.</summary>
    public static bool TakesIds(Layer layer) => layer is Embedding || (layer is TimeDistributed wrapper && TakesIds(wrapper.Layer));
}
