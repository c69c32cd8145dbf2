using System.Text.Json;
using System.Text.Json.Nodes;
using MlNetRnn.Layers;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Models.Serialization;

/// <summary>
/// A Sequential model's config, as Keras 3 writes it: the layer list in order. A model built from its first batch
/// (its first layer has no <c>input_shape</c>) starts the list with an <c>InputLayer</c> giving the shape it was built for.
/// </summary>
internal static class SequentialConfig
{
    private const string ClassName = "Sequential";

    /// <exception cref="InvalidOperationException">The model is not built yet.</exception>
    public static JsonObject Write(Sequential model)
    {
        if (!model.Built)
        {
            throw new InvalidOperationException(
                $"Model '{model.Name}' has not been built yet: give the first layer an inputShape, or call Fit or Predict first.");
        }
        var dtype = ModelConfig.DTypeName(model);
        var layers = new JsonArray();
        if (model.Layers[0].InputShape is null)
        {
            layers.Add(InputLayerConfig.Write(model.Inputs[0], InputLayerConfig.TakesIds(model.Layers[0]), dtype));
        }
        foreach (var layer in model.Layers)
        {
            layers.Add(LayerRegistry.ToJson(layer));
        }
        var config = new JsonObject { ["name"] = model.Name };
        if (dtype is not null) config["dtype"] = dtype;
        config["layers"] = layers;
        return new JsonObject { ["class_name"] = ClassName, ["config"] = config };
    }

    /// <exception cref="InvalidDataException">The config is malformed.</exception>
    /// <exception cref="ArgumentException">A layer does not fit the one before it.</exception>
    public static ModelBlueprint Read(LayerConfig reader, ScalarType? dtype, Func<JsonObject, Layer> layerFromJson)
    {
        string name = reader.String("name");
        var entries = ModelConfig.Array(reader.Json, "layers", "Sequential config", ModelFileLimits.MaxLayers);
        long[]? builtFor = null;
        var layers = new List<Layer>();
        try
        {
            for (int i = 0; i < entries.Count; i++)
            {
                var entry = entries[i] as JsonObject
                    ?? throw new InvalidDataException($"The Sequential config's layer {i} must be an object; received {ModelConfig.Abbreviate(entries[i])}.");
                if (entry["class_name"] is JsonValue c && c.GetValueKind() == JsonValueKind.String && c.GetValue<string>() == InputLayerConfig.ClassName)
                {
                    if (i != 0)
                    {
                        throw new InvalidDataException($"The Sequential config's layer {i} is an InputLayer; only layer 0 may be.");
                    }
                    builtFor = InputLayerConfig.Read(entry).Input.Shape;
                    continue;
                }
                layers.Add(layerFromJson(entry));
            }
            if (builtFor is not null && layers.Count > 0 && layers[0].InputShape is { } declared && !declared.SequenceEqual(builtFor))
            {
                throw new InvalidDataException(
                    $"The Sequential config's InputLayer has shape {Shapes.FormatBatched(builtFor)}; its first layer's input_shape is {Shapes.FormatBatched(declared)}.");
            }
            // Each layer's input shape, from the first one's, without building anything.
            var shape = builtFor ?? (layers.Count > 0 ? layers[0].InputShape : null);
            var planned = new List<ModelBlueprint.PlannedLayer>();
            foreach (var layer in layers)
            {
                IReadOnlyList<IReadOnlyList<long[]>> calls = shape is null ? [] : [[shape]];
                planned.Add(new ModelBlueprint.PlannedLayer(layer, calls));
                shape = shape is null ? null : layer.ComputeOutputShapes(shape)[0];
            }
            return new ModelBlueprint(dtype, planned, seed => Build(name, seed, layers, builtFor));
        }
        catch
        {
            foreach (var layer in layers) layer.Dispose();
            throw;
        }
    }

    private static Sequential Build(string name, int? seed, IEnumerable<Layer> layers, long[]? builtFor)
    {
        var model = new Sequential(name, seed);
        try
        {
            foreach (var layer in layers) model.Add(layer);
            if (builtFor is not null && !model.Built) model.BuildForShape(builtFor);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
