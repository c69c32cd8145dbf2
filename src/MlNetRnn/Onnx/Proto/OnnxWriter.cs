using Google.Protobuf;

namespace MlNetRnn.Onnx.Proto;

/// <summary>
/// Writes an <see cref="OnnxModel"/> in protobuf wire format with the field numbers of onnx.proto. Nested messages
/// are written into a buffer first so that their length can precede them. Repeated scalars that onnx.proto does
/// not mark <c>packed</c> (dims, ints, floats) are written one element per tag, as proto2 does.
/// </summary>
internal static class OnnxWriter
{
    public static void Write(OnnxModel model, Stream output)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(output);
        var stream = new CodedOutputStream(output, leaveOpen: true);
        WriteModel(stream, model);
        stream.Flush();
    }

    public static byte[] ToBytes(OnnxModel model)
    {
        using var buffer = new MemoryStream();
        Write(model, buffer);
        return buffer.ToArray();
    }

    // ModelProto: ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7, opset_import 8, metadata_props 14.
    private static void WriteModel(CodedOutputStream o, OnnxModel model)
    {
        Int64(o, 1, model.IrVersion);
        String(o, 2, model.ProducerName);
        String(o, 3, model.ProducerVersion);
        if (model.DocString is not null) String(o, 6, model.DocString);
        Message(o, 7, s => WriteGraph(s, model.Graph));
        foreach (var opset in model.Opsets)
        {
            // OperatorSetIdProto: domain 1, version 2.
            Message(o, 8, s =>
            {
                String(s, 1, opset.Domain);
                Int64(s, 2, opset.Version);
            });
        }
        foreach (var (key, value) in model.Metadata)
        {
            // StringStringEntryProto: key 1, value 2.
            Message(o, 14, s =>
            {
                String(s, 1, key);
                String(s, 2, value);
            });
        }
    }

    // GraphProto: node 1, name 2, initializer 5, doc_string 10, input 11, output 12.
    private static void WriteGraph(CodedOutputStream o, OnnxGraph graph)
    {
        foreach (var node in graph.Nodes) Message(o, 1, s => WriteNode(s, node));
        String(o, 2, graph.Name);
        foreach (var tensor in graph.Initializers) Message(o, 5, s => WriteTensor(s, tensor));
        if (graph.DocString is not null) String(o, 10, graph.DocString);
        foreach (var input in graph.Inputs) Message(o, 11, s => WriteValueInfo(s, input));
        foreach (var output in graph.Outputs) Message(o, 12, s => WriteValueInfo(s, output));
    }

    // NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7.
    private static void WriteNode(CodedOutputStream o, OnnxNode node)
    {
        foreach (var input in node.Inputs) String(o, 1, input);
        foreach (var output in node.Outputs) String(o, 2, output);
        String(o, 3, node.Name);
        String(o, 4, node.OpType);
        foreach (var attribute in node.Attributes) Message(o, 5, s => WriteAttribute(s, attribute));
        if (node.Domain.Length > 0) String(o, 7, node.Domain);
    }

    // AttributeProto: name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, strings 9, type 20.
    private static void WriteAttribute(CodedOutputStream o, OnnxAttribute attribute)
    {
        String(o, 1, attribute.Name);
        switch (attribute.Type)
        {
            case OnnxAttributeType.Float:
                o.WriteTag(2, WireFormat.WireType.Fixed32);
                o.WriteFloat((float)attribute.Value);
                break;
            case OnnxAttributeType.Int:
                Int64(o, 3, (long)attribute.Value);
                break;
            case OnnxAttributeType.String:
                String(o, 4, (string)attribute.Value);
                break;
            case OnnxAttributeType.Tensor:
                Message(o, 5, s => WriteTensor(s, (OnnxTensor)attribute.Value));
                break;
            case OnnxAttributeType.Floats:
                foreach (float f in (float[])attribute.Value)
                {
                    o.WriteTag(7, WireFormat.WireType.Fixed32);
                    o.WriteFloat(f);
                }
                break;
            case OnnxAttributeType.Ints:
                foreach (long i in (long[])attribute.Value) Int64(o, 8, i);
                break;
            case OnnxAttributeType.Strings:
                foreach (string s in (string[])attribute.Value) String(o, 9, s);
                break;
            default:
                throw new InvalidOperationException($"Attribute '{attribute.Name}' has an unknown type {attribute.Type}.");
        }
        Int64(o, 20, (long)attribute.Type);
    }

    // TensorProto: dims 1, data_type 2, string_data 6, name 8, raw_data 9.
    private static void WriteTensor(CodedOutputStream o, OnnxTensor tensor)
    {
        foreach (long d in tensor.Dims) Int64(o, 1, d);
        Int64(o, 2, (long)tensor.Type);
        if (tensor.Strings is not null)
        {
            foreach (string s in tensor.Strings) String(o, 6, s);
        }
        if (tensor.Name.Length > 0) String(o, 8, tensor.Name);
        if (tensor.Raw is not null)
        {
            o.WriteTag(9, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(UnsafeByteOperations.UnsafeWrap(tensor.Raw));
        }
    }

    // ValueInfoProto: name 1, type 2, doc_string 3. TypeProto: tensor_type 1. TypeProto.Tensor: elem_type 1, shape 2.
    // TensorShapeProto: dim 1. Dimension: dim_value 1, dim_param 2.
    private static void WriteValueInfo(CodedOutputStream o, OnnxValueInfo info)
    {
        String(o, 1, info.Name);
        Message(o, 2, type => Message(type, 1, tensor =>
        {
            Int64(tensor, 1, (long)info.Type);
            Message(tensor, 2, shape =>
            {
                foreach (var dim in info.Shape)
                {
                    Message(shape, 1, d =>
                    {
                        if (dim.Value is { } value) Int64(d, 1, value);
                        else if (dim.Param is { } param) String(d, 2, param);
                    });
                }
            });
        }));
        if (info.DocString is not null) String(o, 3, info.DocString);
    }

    private static void Int64(CodedOutputStream o, int field, long value)
    {
        o.WriteTag(field, WireFormat.WireType.Varint);
        o.WriteInt64(value);
    }

    private static void String(CodedOutputStream o, int field, string value)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteString(value);
    }

    // A nested message: written to a buffer, then as length-delimited bytes.
    private static void Message(CodedOutputStream o, int field, Action<CodedOutputStream> body)
    {
        using var buffer = new MemoryStream();
        var nested = new CodedOutputStream(buffer, leaveOpen: true);
        body(nested);
        nested.Flush();
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(UnsafeByteOperations.UnsafeWrap(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)));
    }
}
