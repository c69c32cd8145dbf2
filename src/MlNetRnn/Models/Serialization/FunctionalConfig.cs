using System.Text.Json;
using System.Text.Json.Nodes;
using MlNetRnn.Layers;
using static TorchSharp.torch;

namespace MlNetRnn.Models.Serialization;

/// <summary>
/// A functional model's config, as Keras 3 writes it: every layer (inputs first) with its <c>inbound_nodes</c>, one
/// per call, whose <c>args</c> name the tensors read as <c>keras_history</c> [layer, call, output]; then
/// <c>input_layers</c> and <c>output_layers</c>. Shared layers (several calls), merges (a list of inputs) and
/// layers with several outputs (a recurrent layer's states) are all expressed by those triples.
/// </summary>
internal static class FunctionalConfig
{
    private const string ClassName = "Functional";

    public static JsonObject Write(Model model)
    {
        var graph = model.Graph ?? throw new InvalidOperationException($"Model '{model.Name}' has no graph.");
        var dtype = ModelConfig.DTypeName(model);
        // Keras numbers a shared layer's calls in the order they run: dense[0] is its first call.
        var callIndex = graph.Nodes.GroupBy(n => n.Layer)
            .SelectMany(calls => calls.Select((node, i) => (node, i)))
            .ToDictionary(p => p.node, p => p.i);
        JsonArray History(SymbolicTensor t) => t is Input input
            ? [input.Name, 0, 0]
            : [t.Producer!.Layer.Name, callIndex[t.Producer], t.OutputIndex];

        var layers = new JsonArray();
        foreach (var input in graph.Inputs)
        {
            bool takesIds = graph.Nodes.Any(n => n.Inputs.Contains(input) && InputLayerConfig.TakesIds(n.Layer));
            var entry = InputLayerConfig.Write(input, takesIds, dtype);
            entry["name"] = input.Name;
            entry["inbound_nodes"] = new JsonArray();
            layers.Add(entry);
        }
        foreach (var layer in graph.Layers)
        {
            var entry = LayerRegistry.ToJson(layer);
            entry["name"] = layer.Name;
            entry["inbound_nodes"] = new JsonArray(graph.Nodes.Where(n => n.Layer == layer).Select(node =>
            {
                var tensors = node.Inputs.Select(t => (JsonNode)KerasTensor(History(t))).ToArray();
                // A merge takes a list of tensors as its one argument, even a list of one.
                JsonNode argument = tensors.Length == 1 && layer is not Merge ? tensors[0] : new JsonArray(tensors);
                return (JsonNode)new JsonObject { ["args"] = new JsonArray(argument), ["kwargs"] = new JsonObject() };
            }).ToArray());
            layers.Add(entry);
        }
        var config = new JsonObject { ["name"] = model.Name };
        if (dtype is not null) config["dtype"] = dtype;
        config["layers"] = layers;
        config["input_layers"] = new JsonArray(graph.Inputs.Select(i => (JsonNode)History(i)).ToArray());
        config["output_layers"] = new JsonArray(graph.Outputs.Select(o => (JsonNode)History(o)).ToArray());
        return new JsonObject { ["class_name"] = ClassName, ["config"] = config };
    }

    // Keras 3's serialized KerasTensor, reduced to what is read back: where the tensor comes from.
    private static JsonObject KerasTensor(JsonArray history) => new()
    {
        ["class_name"] = "__keras_tensor__",
        ["config"] = new JsonObject { ["keras_history"] = history },
    };

    /// <exception cref="InvalidDataException">The config is malformed or its calls cannot be resolved.</exception>
    /// <exception cref="ArgumentException">A layer does not fit its inputs.</exception>
    public static ModelBlueprint Read(LayerConfig reader, ScalarType? dtype, Func<JsonObject, Layer> layerFromJson)
    {
        string name = reader.String("name");
        var entries = ModelConfig.Array(reader.Json, "layers", "Functional config", ModelFileLimits.MaxLayers);
        var inputs = new Dictionary<string, (Input Input, string DType)>(StringComparer.Ordinal);
        var layers = new List<Entry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        int calls = 0;
        try
        {
            for (int i = 0; i < entries.Count; i++)
            {
                var entry = entries[i] as JsonObject
                    ?? throw new InvalidDataException($"The Functional config's layer {i} must be an object; received {ModelConfig.Abbreviate(entries[i])}.");
                string owner = $"Functional config's layer {i}";
                string entryName = entry["name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String
                    ? n.GetValue<string>()
                    : throw new InvalidDataException($"The {owner} needs a string 'name'; received {ModelConfig.Abbreviate(entry["name"])}.");
                if (!names.Add(entryName))
                {
                    throw new InvalidDataException($"The Functional config names two layers '{entryName}'; layer names must be unique.");
                }
                var nodes = ModelConfig.Array(entry, "inbound_nodes", owner, ModelFileLimits.MaxCalls);
                calls += nodes.Count;
                if (calls > ModelFileLimits.MaxCalls)
                {
                    throw new InvalidDataException($"The Functional config has more than {ModelFileLimits.MaxCalls} layer calls.");
                }
                if (entry["class_name"] is JsonValue c && c.GetValueKind() == JsonValueKind.String && c.GetValue<string>() == InputLayerConfig.ClassName)
                {
                    if (nodes.Count != 0)
                    {
                        throw new InvalidDataException($"The InputLayer '{entryName}' must have no inbound_nodes; received {nodes.Count}.");
                    }
                    var input = InputLayerConfig.Read(entry);
                    if (input.Input.Name != entryName)
                    {
                        throw new InvalidDataException($"The Functional config's layer {i} is named '{entryName}' but its config names it '{input.Input.Name}'.");
                    }
                    inputs[entryName] = input;
                    continue;
                }
                var layer = layerFromJson(entry);
                layer.Name ??= entryName;
                if (layer.Name != entryName)
                {
                    layer.Dispose();
                    throw new InvalidDataException($"The Functional config's layer {i} is named '{entryName}' but its config names it '{layer.Name}'.");
                }
                layers.Add(new Entry(layer, nodes));
            }
            var byName = layers.ToDictionary(l => l.Layer.Name!, StringComparer.Ordinal);
            Connect(layers, inputs, byName);
            var inputOrder = ModelConfig.Array(reader.Json, "input_layers", "Functional config", ModelFileLimits.MaxLayers)
                .Select(t => Resolve(ParseHistory(t, "input_layers"), inputs, byName, "input_layers") as Input
                    ?? throw new InvalidDataException($"The Functional config's input_layers must name InputLayers; received {ModelConfig.Abbreviate(t)}."))
                .ToArray();
            foreach (var unlisted in inputs.Values.Select(i => i.Input).Except(inputOrder))
            {
                throw new InvalidDataException($"The InputLayer '{unlisted.Name}' is not among the Functional config's input_layers.");
            }
            var outputs = ModelConfig.Array(reader.Json, "output_layers", "Functional config", ModelFileLimits.MaxLayers)
                .Select(t => Resolve(ParseHistory(t, "output_layers"), inputs, byName, "output_layers"))
                .ToArray();
            CheckInputDTypes(layers, inputs.Values);
            var planned = layers.Select(l => new ModelBlueprint.PlannedLayer(
                l.Layer, l.CallInputs.Select(c => (IReadOnlyList<long[]>)c.Select(t => t.Shape).ToArray()).ToArray())).ToArray();
            return new ModelBlueprint(dtype, planned, seed => Build(inputOrder, outputs, name, seed, layers));
        }
        catch
        {
            foreach (var entry in layers) entry.Layer.Dispose();
            throw;
        }
    }

    private static Model Build(Input[] inputs, SymbolicTensor[] outputs, string name, int? seed, List<Entry> layers)
    {
        var model = new Model(inputs, outputs, name, seed);
        var unused = layers.Select(l => l.Layer).Except(model.Layers).Select(l => l.Name).ToArray();
        if (unused.Length > 0)
        {
            model.Dispose();
            throw new InvalidDataException($"The Functional config lists layers no output depends on: {string.Join(", ", unused)}.");
        }
        return model;
    }

    // Applies each layer's calls in order, as soon as the tensors they read exist (Keras allows a layer to be listed
    // before a layer its later call reads from). Passes repeat until every call is made or none can be.
    private static void Connect(List<Entry> layers, Dictionary<string, (Input Input, string DType)> inputs, Dictionary<string, Entry> byName)
    {
        bool progress = true;
        while (progress)
        {
            progress = false;
            foreach (var entry in layers)
            {
                while (entry.Outputs.Count < entry.Nodes.Count)
                {
                    var histories = ParseCall(entry, entry.Outputs.Count);
                    if (histories.Any(h => !IsReady(h, inputs, byName, entry))) break;
                    var tensors = histories.Select(h => Resolve(h, inputs, byName, $"inbound_nodes of '{entry.Layer.Name}'")).ToArray();
                    entry.CallInputs.Add(tensors);
                    entry.Outputs.Add(entry.Layer.Apply(tensors));
                    progress = true;
                }
            }
        }
        foreach (var entry in layers.Where(e => e.Outputs.Count < e.Nodes.Count))
        {
            var missing = ParseCall(entry, entry.Outputs.Count).First(h => !IsReady(h, inputs, byName, entry));
            throw new InvalidDataException(
                $"Call {entry.Outputs.Count} of layer '{entry.Layer.Name}' reads {missing}, which is never produced (a cycle, or a call that does not exist).");
        }
    }

    private static bool IsReady(History h, Dictionary<string, (Input Input, string DType)> inputs, Dictionary<string, Entry> byName, Entry reader)
    {
        if (inputs.ContainsKey(h.Layer)) return true;
        if (!byName.TryGetValue(h.Layer, out var producer))
        {
            throw new InvalidDataException($"The inbound_nodes of '{reader.Layer.Name}' read layer '{h.Layer}', which the config does not list.");
        }
        if (h.Call >= producer.Nodes.Count)
        {
            throw new InvalidDataException($"The inbound_nodes of '{reader.Layer.Name}' read {h}, but layer '{h.Layer}' has {producer.Nodes.Count} call(s).");
        }
        return h.Call < producer.Outputs.Count;
    }

    private static SymbolicTensor Resolve(History h, Dictionary<string, (Input Input, string DType)> inputs, Dictionary<string, Entry> byName, string where)
    {
        if (inputs.TryGetValue(h.Layer, out var input))
        {
            return h.Call == 0 && h.Output == 0
                ? input.Input
                : throw new InvalidDataException($"The Functional config's {where} read {h}; an InputLayer has one call with one output, [0][0].");
        }
        if (!byName.TryGetValue(h.Layer, out var producer))
        {
            throw new InvalidDataException($"The Functional config's {where} name layer '{h.Layer}', which the config does not list.");
        }
        if (h.Call >= producer.Outputs.Count)
        {
            throw new InvalidDataException($"The Functional config's {where} read {h}, but layer '{h.Layer}' has {producer.Nodes.Count} call(s).");
        }
        var outputs = producer.Outputs[h.Call];
        return h.Output < outputs.Count
            ? outputs[h.Output]
            : throw new InvalidDataException($"The Functional config's {where} read {h}, but layer '{h.Layer}' has {outputs.Count} output(s).");
    }

    // One inbound node: {"args": [tensor] or [[tensor, …]], "kwargs": {}}.
    private static History[] ParseCall(Entry entry, int index)
    {
        string where = $"Call {index} of layer '{entry.Layer.Name}'";
        var node = entry.Nodes[index] as JsonObject
            ?? throw new InvalidDataException($"{where} must be an object {{\"args\", \"kwargs\"}}; received {ModelConfig.Abbreviate(entry.Nodes[index])}.");
        if (node["kwargs"] is { } kwargs && (kwargs is not JsonObject o || o.Count > 0))
        {
            throw new InvalidDataException($"{where} has call arguments (kwargs) {ModelConfig.Abbreviate(kwargs)}; only inputs are supported.");
        }
        if (node["args"] is not JsonArray { Count: 1 } args)
        {
            throw new InvalidDataException($"{where} must have 'args' holding one tensor or one list of tensors; received {ModelConfig.Abbreviate(node["args"])}.");
        }
        var tensors = args[0] is JsonArray list ? list.ToArray() : [args[0]];
        if (tensors.Length is 0 or > ModelFileLimits.MaxCallInputs)
        {
            throw new InvalidDataException($"{where} reads {tensors.Length} tensors; expected 1 to {ModelFileLimits.MaxCallInputs}.");
        }
        return tensors.Select(t => t is JsonObject tensor && tensor["class_name"]?.GetValueKind() == JsonValueKind.String &&
                tensor["class_name"]!.GetValue<string>() == "__keras_tensor__" && tensor["config"] is JsonObject config
            ? ParseHistory(config["keras_history"], where)
            : throw new InvalidDataException($"{where} must read tensors {{\"class_name\": \"__keras_tensor__\", \"config\": {{\"keras_history\"}}}}; received {ModelConfig.Abbreviate(t)}."))
            .ToArray();
    }

    // [layer name, call index, output index].
    private static History ParseHistory(JsonNode? node, string where)
    {
        if (node is JsonArray { Count: 3 } triple && triple[0]?.GetValueKind() == JsonValueKind.String &&
            triple[1] is JsonValue call && call.TryGetValue(out int callIndex) && callIndex >= 0 &&
            triple[2] is JsonValue output && output.TryGetValue(out int outputIndex) && outputIndex >= 0)
        {
            return new History(triple[0]!.GetValue<string>(), callIndex, outputIndex);
        }
        throw new InvalidDataException($"{where} must name tensors as [layer name, call index, output index]; received {ModelConfig.Abbreviate(node)}.");
    }

    // An input an Embedding reads holds integer ids; a float dtype there is a contradiction in the config.
    private static void CheckInputDTypes(List<Entry> layers, IEnumerable<(Input Input, string DType)> inputs)
    {
        foreach (var (input, dtype) in inputs.Where(i => !i.DType.StartsWith("int", StringComparison.Ordinal)))
        {
            if (layers.FirstOrDefault(l => InputLayerConfig.TakesIds(l.Layer) && l.CallInputs.Any(c => c.Contains(input))) is { } reader)
            {
                throw new InvalidDataException($"The InputLayer '{input.Name}' feeds {reader.Layer}, which reads integer ids; its dtype is {dtype}.");
            }
        }
    }

    private sealed record History(string Layer, int Call, int Output)
    {
        public override string ToString() => $"{Layer}[{Call}][{Output}]";
    }

    private sealed class Entry(Layer layer, JsonArray nodes)
    {
        public Layer Layer { get; } = layer;
        public JsonArray Nodes { get; } = nodes;
        public List<IReadOnlyList<SymbolicTensor>> Outputs { get; } = [];
        public List<SymbolicTensor[]> CallInputs { get; } = [];
    }
}
