namespace MlNetRnn.Onnx.Proto;

// The few ONNX messages the exporter writes, as plain typed objects. Their field numbers live in OnnxWriter;
// the meanings follow onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto).

/// <summary>TensorProto.DataType values the exporter uses.</summary>
internal enum OnnxDataType
{
    Float = 1,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
}

/// <summary>A constant tensor (an initializer or a Constant's value): numbers as little-endian raw bytes, or strings.</summary>
internal sealed class OnnxTensor
{
    private OnnxTensor(string name, OnnxDataType type, long[] dims, byte[]? raw, string[]? strings)
    {
        Name = name;
        Type = type;
        Dims = dims;
        Raw = raw;
        Strings = strings;
    }

    public string Name { get; }
    public OnnxDataType Type { get; }
    public long[] Dims { get; }
    public byte[]? Raw { get; }
    public string[]? Strings { get; }

    /// <summary>Element count the dims promise.</summary>
    public long Count => Dims.Aggregate(1L, (a, d) => a * d);

    public static OnnxTensor Floats(string name, long[] dims, ReadOnlySpan<float> values) =>
        new(name, OnnxDataType.Float, Checked(dims, values.Length), Bytes(values), null);

    public static OnnxTensor Int64s(string name, long[] dims, ReadOnlySpan<long> values) =>
        new(name, OnnxDataType.Int64, Checked(dims, values.Length), Bytes(values), null);

    public static OnnxTensor Int32s(string name, long[] dims, ReadOnlySpan<int> values) =>
        new(name, OnnxDataType.Int32, Checked(dims, values.Length), Bytes(values), null);

    private static long[] Checked(long[] dims, int count)
    {
        long expected = dims.Aggregate(1L, (a, d) => a * d);
        return expected == count
            ? dims.ToArray()
            : throw new ArgumentException($"A tensor of shape ({string.Join(", ", dims)}) holds {expected} values; received {count}.");
    }

    // raw_data is little-endian by definition; .NET runs little-endian on every platform it supports for this library.
    private static byte[] Bytes<T>(ReadOnlySpan<T> values) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).ToArray();
}

/// <summary>AttributeProto.AttributeType values the exporter uses.</summary>
internal enum OnnxAttributeType
{
    Float = 1,
    Int = 2,
    String = 3,
    Tensor = 4,
    Floats = 6,
    Ints = 7,
    Strings = 8,
}

/// <summary>A node attribute holding exactly one of the kinds in <see cref="OnnxAttributeType"/>.</summary>
internal sealed record OnnxAttribute(string Name, OnnxAttributeType Type, object Value)
{
    public static OnnxAttribute Float(string name, float value) => new(name, OnnxAttributeType.Float, value);
    public static OnnxAttribute Int(string name, long value) => new(name, OnnxAttributeType.Int, value);
    public static OnnxAttribute String(string name, string value) => new(name, OnnxAttributeType.String, value);
    public static OnnxAttribute Tensor(string name, OnnxTensor value) => new(name, OnnxAttributeType.Tensor, value);
    public static OnnxAttribute Floats(string name, IEnumerable<float> values) => new(name, OnnxAttributeType.Floats, values.ToArray());
    public static OnnxAttribute Ints(string name, IEnumerable<long> values) => new(name, OnnxAttributeType.Ints, values.ToArray());
    public static OnnxAttribute Strings(string name, IEnumerable<string> values) => new(name, OnnxAttributeType.Strings, values.ToArray());
}

/// <summary>One operator call. An empty input name marks an omitted optional input, as ONNX specifies.</summary>
internal sealed record OnnxNode(
    string Name, string OpType, string Domain, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyList<OnnxAttribute> Attributes);

/// <summary>One axis of a declared shape: a fixed size, a named symbolic size, or unknown (neither).</summary>
internal readonly record struct OnnxDimension(long? Value, string? Param)
{
    public static OnnxDimension Fixed(long value) => new(value, null);
    public static OnnxDimension Named(string param) => new(null, param);
    public static OnnxDimension Unknown => new(null, null);
}

/// <summary>A graph input or output: name, element type and shape.</summary>
internal sealed record OnnxValueInfo(string Name, OnnxDataType Type, IReadOnlyList<OnnxDimension> Shape, string? DocString = null);

internal sealed record OnnxGraph(
    string Name, IReadOnlyList<OnnxNode> Nodes, IReadOnlyList<OnnxTensor> Initializers,
    IReadOnlyList<OnnxValueInfo> Inputs, IReadOnlyList<OnnxValueInfo> Outputs, string? DocString);

/// <summary>An operator set the model imports: <c>""</c> (ai.onnx) or <c>ai.onnx.ml</c>, with its version.</summary>
internal readonly record struct OnnxOpset(string Domain, long Version);

internal sealed record OnnxModel(
    long IrVersion, IReadOnlyList<OnnxOpset> Opsets, string ProducerName, string ProducerVersion, string? DocString,
    OnnxGraph Graph, IReadOnlyList<KeyValuePair<string, string>> Metadata);
