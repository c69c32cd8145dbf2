using System.Reflection;
using MlNetRnn.Data;
using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Onnx.Proto;

namespace MlNetRnn.Onnx;

/// <summary>
/// Writes a trained model as one self-contained ONNX file (ai.onnx opset 17, ai.onnx.ml opset 3 where vocabularies
/// are looked up; no custom operators), to run in ONNX Runtime or any ONNX runtime without MlNetRnn.
/// </summary>
/// <remarks>
/// <para>Layers map to ONNX's own operators: Dense → MatMul + Add, Embedding → Gather, Conv1D → Conv,
/// GlobalMaxPooling1D → masked ReduceMax, TimeDistributed → Reshape around the wrapped layer, SimpleRNN / LSTM / GRU
/// → RNN / LSTM / GRU (Bidirectional with <c>direction = "bidirectional"</c>), Dropout → nothing (inference). Weights
/// are written as float32.</para>
/// <para>Masks become graph computations: an Embedding with maskZero gives <c>Not(Equal(ids, 0))</c>, and the
/// recurrent operators receive <c>sequence_lens = ReduceSum(Cast(mask))</c>. Masks are taken to be right padding
/// (real steps, then padding), as every MlNetRnn batch is: a row whose padding id sits between real ids (a mask
/// with a hole) cannot be seen at export time, and the exported recurrent operators then count its real steps as
/// its length instead of skipping the hole as the native layers do.</para>
/// </remarks>
public static partial class OnnxExporter
{
    /// <summary>The ai.onnx operator set version written.</summary>
    public const int OpsetVersion = (int)OnnxGraphBuilder.OpsetVersion;

    /// <summary>The library version recorded in exported files (e.g. <c>0.1.0</c>).</summary>
    public static string LibraryVersion { get; } =
        typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "unknown";

    /// <summary>
    /// Writes <paramref name="model"/> as ONNX. Graph inputs take the model's input names and per-sample shapes with a
    /// leading <c>batch</c> axis (sizes unknown until run time are named: <c>time</c> for axis 1, <c>&lt;input&gt;_dim&lt;k&gt;</c>
    /// after it); an input read by an <see cref="Embedding"/> (directly or under <see cref="TimeDistributed"/>) is
    /// int64 ids, any other is float32. Graph outputs are float32, named after the layers that produce them
    /// (<c>&lt;layer&gt;</c>, or <c>&lt;layer&gt;:&lt;k&gt;</c> for a layer's output k &gt; 0, e.g. <c>lstm:1</c> for an
    /// LSTM's final h).
    /// </summary>
    /// <param name="model">A built model of the layers listed in the remarks.</param>
    /// <param name="output">Where the file's bytes go; left open.</param>
    /// <param name="metadata">Extra <c>metadata_props</c> entries. Default none.</param>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    /// <exception cref="NotSupportedException">A layer, or a setting of one, has no ONNX mapping; the message names the layer.</exception>
    public static void Export(Model model, Stream output, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        var onnx = BuildModel(model, metadata);
        OnnxWriter.Write(onnx, output);
    }

    /// <summary>Like <see cref="Export(Model, Stream, IReadOnlyDictionary{string, string}?)"/>, to a file written
    /// atomically (a temporary file renamed into place, so a failed export leaves no partial file).</summary>
    /// <param name="model">A built model.</param>
    /// <param name="path">The .onnx file to create or replace.</param>
    /// <param name="metadata">Extra <c>metadata_props</c> entries. Default none.</param>
    public static void Export(Model model, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // Build first: an unsupported layer fails before the file is touched.
        var onnx = BuildModel(model, metadata);
        SafeFile.WriteAtomically(path, stream => OnnxWriter.Write(onnx, stream));
    }

    internal static OnnxModel BuildModel(Model model, IReadOnlyDictionary<string, string>? metadata)
    {
        var graph = RequireGraph(model);
        var builder = new OnnxGraphBuilder();
        var inputs = graph.Inputs.Select(input => new OnnxValueInfo(
            builder.Reserve(input.Name), ReadsIds(graph, input) ? OnnxDataType.Int64 : OnnxDataType.Float, InputDimensions(input))).ToArray();
        var results = EmitNetwork(builder, model, inputs.Select(i => i.Name).ToArray());
        var outputs = new List<OnnxValueInfo>();
        for (int i = 0; i < results.Count; i++)
        {
            var symbolic = graph.Outputs[i];
            string baseName = symbolic.Producer is { } producer
                ? (symbolic.OutputIndex == 0 ? producer.Layer.Name! : $"{producer.Layer.Name}:{symbolic.OutputIndex}")
                : "output";
            string name = builder.Fresh(baseName);
            builder.Alias(results[i].Name, name);
            outputs.Add(new OnnxValueInfo(name, OnnxDataType.Float, OutputDimensions(results[i].Shape)));
        }
        var doc = $"Keras-style model '{model.Name}' exported by MlNetRnn {LibraryVersion}.";
        return Assemble(builder, model.Name, inputs, outputs, doc, metadata ?? new Dictionary<string, string>());
    }

    /// <summary>Emits the network's nodes on graph values already holding its inputs (ids as int64, features as float32).</summary>
    /// <returns>The model's outputs, in order.</returns>
    internal static IReadOnlyList<OnnxValue> EmitNetwork(OnnxGraphBuilder builder, Model model, IReadOnlyList<string> inputNames)
    {
        var graph = RequireGraph(model);
        var mapper = new OnnxLayerMapper(builder);
        var values = new Dictionary<SymbolicTensor, OnnxValue>();
        for (int i = 0; i < graph.Inputs.Count; i++)
        {
            values[graph.Inputs[i]] = new OnnxValue(inputNames[i], graph.Inputs[i].Shape, null);
        }
        foreach (var node in graph.Nodes)
        {
            var inputs = node.Inputs.Select(t => values[t]).ToArray();
            var (outputs, mask) = mapper.Map(node.Layer, inputs);
            foreach (var symbolic in node.Outputs)
            {
                // Keras masks the main output; extra outputs (a recurrent layer's states) have none.
                values[symbolic] = new OnnxValue(outputs[symbolic.OutputIndex], symbolic.Shape, symbolic.OutputIndex == 0 ? mask : null);
            }
        }
        return graph.Outputs.Select(o => values[o]).ToArray();
    }

    internal static OnnxModel Assemble(OnnxGraphBuilder builder, string graphName, IReadOnlyList<OnnxValueInfo> inputs,
        IReadOnlyList<OnnxValueInfo> outputs, string doc, IReadOnlyDictionary<string, string> metadata)
    {
        var entries = new List<KeyValuePair<string, string>> { new("mlnetrnn.version", LibraryVersion) };
        entries.AddRange(metadata.Where(m => m.Key != "mlnetrnn.version"));
        var opsets = new List<OnnxOpset> { new("", OnnxGraphBuilder.OpsetVersion) };
        if (builder.UsesMlDomain) opsets.Add(new OnnxOpset(OnnxGraphBuilder.MlDomain, OnnxGraphBuilder.MlOpsetVersion));
        return new OnnxModel(OnnxGraphBuilder.IrVersion, opsets, "MlNetRnn", LibraryVersion, doc,
            builder.Build(graphName, inputs, outputs, doc), entries);
    }

    internal static FunctionalGraph RequireGraph(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Graph ?? throw new InvalidOperationException(
            $"Model '{model.Name}' has not been built yet; build it (give the first layer an inputShape, or call Fit or Predict) before exporting it.");
    }

    // An input read by an Embedding (or TimeDistributed(Embedding)) carries ids.
    private static bool ReadsIds(FunctionalGraph graph, Input input) =>
        graph.Nodes.Any(n => n.Inputs.Contains(input) && n.Layer is Embedding or TimeDistributed { Layer: Embedding });

    private static OnnxDimension[] InputDimensions(Input input) =>
    [
        OnnxDimension.Named("batch"),
        .. input.Shape.Select((d, axis) => d >= 0 ? OnnxDimension.Fixed(d)
            : axis == 0 ? OnnxDimension.Named("time") : OnnxDimension.Named($"{input.Name}_dim{axis + 1}")),
    ];

    private static OnnxDimension[] OutputDimensions(long[] shape) =>
        [OnnxDimension.Named("batch"), .. shape.Select(d => d >= 0 ? OnnxDimension.Fixed(d) : OnnxDimension.Unknown)];
}
