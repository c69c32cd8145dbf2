using MlNetRnn.Onnx.Proto;

namespace MlNetRnn.Onnx;

/// <summary>
/// Collects nodes and initializers for one ONNX graph, giving every value and node a unique name under a prefix
/// (the Keras layer name, so a node reads as <c>lstm/Transpose</c>). Small constants are shared.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>The ai.onnx operator set written; 17 keeps the file readable by ONNX 1.12 and later.</summary>
    public const long OpsetVersion = 17;

    /// <summary>The ai.onnx.ml operator set that goes with ai.onnx 17 (ONNX 1.12): LabelEncoder-2.</summary>
    public const long MlOpsetVersion = 3;

    /// <summary>IR version 8 is the one ONNX 1.12 pairs with opset 17.</summary>
    public const long IrVersion = 8;

    public const string MlDomain = "ai.onnx.ml";

    private readonly List<OnnxNode> _nodes = [];
    private readonly List<OnnxTensor> _initializers = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);

    public IReadOnlyList<OnnxNode> Nodes => _nodes;

    public IReadOnlyList<OnnxTensor> Initializers => _initializers;

    /// <summary>Whether any node uses the ai.onnx.ml domain (the model then imports it).</summary>
    public bool UsesMlDomain => _nodes.Any(n => n.Domain == MlDomain);

    /// <summary>Reserves a name as it is (a graph input's); fails if it is taken.</summary>
    public string Reserve(string name) => _names.Add(name)
        ? name
        : throw new ArgumentException($"The ONNX graph already has a value named '{name}'; graph inputs and outputs need distinct names.");

    /// <summary>A fresh name: <paramref name="hint"/> itself if free, else with a numeric suffix.</summary>
    public string Fresh(string hint)
    {
        if (_names.Add(hint)) return hint;
        for (int i = 1; ; i++)
        {
            var candidate = $"{hint}_{i}";
            if (_names.Add(candidate)) return candidate;
        }
    }

    /// <summary>Adds a node with one output and returns that output's name; <paramref name="scope"/> (usually the
    /// layer's name) prefixes the names.</summary>
    public string Op(string scope, string opType, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes) =>
        OpWithOutputs(scope, opType, inputs, 1, "", attributes)[0];

    /// <summary>Adds an ai.onnx.ml node with one output.</summary>
    public string MlOp(string scope, string opType, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes) =>
        OpWithOutputs(scope, opType, inputs, 1, MlDomain, attributes)[0];

    /// <summary>Adds a node whose outputs are given: a null entry gets a fresh name, an empty one stays empty
    /// (an output not wanted, as ONNX allows for optional outputs).</summary>
    public string[] OpWithOutputs(string scope, string opType, IReadOnlyList<string> inputs, IReadOnlyList<string?> outputs,
        string domain, params OnnxAttribute[] attributes)
    {
        var names = outputs.Select((o, i) => o ?? Fresh($"{scope}/{opType}{(outputs.Count > 1 ? $"_out{i}" : "")}")).ToArray();
        _nodes.Add(new OnnxNode(Fresh($"{scope}/{opType}_node"), opType, domain, inputs.ToArray(), names, attributes));
        return names;
    }

    private string[] OpWithOutputs(string scope, string opType, IReadOnlyList<string> inputs, int outputs, string domain, OnnxAttribute[] attributes) =>
        OpWithOutputs(scope, opType, inputs, new string?[outputs], domain, attributes);

    /// <summary>Renames a value: an Identity node whose output has exactly <paramref name="name"/> (reserved before).</summary>
    public void Alias(string value, string name) =>
        _nodes.Add(new OnnxNode(Fresh($"{name}/Identity_node"), "Identity", "", [value], [name], []));

    /// <summary>A weight as an initializer (float32).</summary>
    public string Weight(string name, long[] dims, ReadOnlySpan<float> values)
    {
        var unique = Fresh(name);
        _initializers.Add(OnnxTensor.Floats(unique, dims, values));
        return unique;
    }

    /// <summary>A shared int64 constant (1-D, or a scalar when <paramref name="scalar"/>).</summary>
    public string Int64s(long[] values, bool scalar = false) =>
        Shared($"i64:{scalar}:{string.Join(",", values)}", () => OnnxTensor.Int64s(Fresh("const_i64"), scalar ? [] : [values.Length], values));

    /// <summary>A shared float32 scalar constant.</summary>
    public string FloatScalar(float value) =>
        Shared($"f32:{BitConverter.SingleToInt32Bits(value)}", () => OnnxTensor.Floats(Fresh("const_f32"), [], [value]));

    /// <summary>A shared int32 scalar constant.</summary>
    public string Int32Scalar(int value) =>
        Shared($"i32:{value}", () => OnnxTensor.Int32s(Fresh("const_i32"), [], [value]));

    private string Shared(string key, Func<OnnxTensor> create)
    {
        if (!_constants.TryGetValue(key, out var name))
        {
            var tensor = create();
            _initializers.Add(tensor);
            _constants[key] = name = tensor.Name;
        }
        return name;
    }

    // Frequent shapes of computation, named as the ONNX operators they use.

    public string Cast(string scope, string x, OnnxDataType to) => Op(scope, "Cast", [x], OnnxAttribute.Int("to", (long)to));

    public string Unsqueeze(string scope, string x, params long[] axes) => Op(scope, "Unsqueeze", [x, Int64s(axes)]);

    public string Transpose(string scope, string x, params long[] perm) => Op(scope, "Transpose", [x], OnnxAttribute.Ints("perm", perm));

    /// <summary>Reverses axis <paramref name="axis"/> (Slice with step −1).</summary>
    public string Flip(string scope, string x, long axis) =>
        Op(scope, "Slice", [x, Int64s([-1]), Int64s([long.MinValue]), Int64s([axis]), Int64s([-1])]);

    /// <summary>Element <paramref name="index"/> along <paramref name="axis"/>, that axis removed.</summary>
    public string Take(string scope, string x, long index, long axis) =>
        Op(scope, "Gather", [x, Int64s([index], scalar: true)], OnnxAttribute.Int("axis", axis));

    /// <summary>Axes [start, end) of x's shape, as a 1-D int64 tensor.</summary>
    public string ShapeSlice(string scope, string x, long start, long end = long.MaxValue) =>
        Op(scope, "Slice", [Op(scope, "Shape", [x]), Int64s([start]), Int64s([end])]);

    /// <summary>Where(mask, x, 0) with mask broadcast over x's trailing axes.</summary>
    public string ZeroWhereFalse(string scope, string mask, string x) => Op(scope, "Where", [mask, x, FloatScalar(0)]);

    /// <summary>Whether any element along <paramref name="axes"/> is true (bool in, bool out, axes removed).</summary>
    public string Any(string scope, string mask, params long[] axes) =>
        Cast(scope, Op(scope, "ReduceMax", [Cast(scope, mask, OnnxDataType.Float)],
            OnnxAttribute.Ints("axes", axes), OnnxAttribute.Int("keepdims", 0)), OnnxDataType.Bool);

    /// <summary>Assembles the graph.</summary>
    public OnnxGraph Build(string name, IReadOnlyList<OnnxValueInfo> inputs, IReadOnlyList<OnnxValueInfo> outputs, string? docString) =>
        new(name, _nodes.ToArray(), _initializers.ToArray(), inputs, outputs, docString);
}
