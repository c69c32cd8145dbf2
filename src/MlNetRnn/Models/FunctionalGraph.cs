using MlNetRnn.Layers;
using static TorchSharp.torch;

namespace MlNetRnn.Models;

/// <summary>
/// The graph of a functional model (Keras's <c>Functional</c>): its inputs, its outputs, and every layer call between
/// them in an order where each call comes after the calls it reads from. Runs a batch through, carrying masks.
/// </summary>
internal sealed class FunctionalGraph
{
    private readonly Dictionary<SymbolicTensor.Node, int> _callIndex = [];

    /// <exception cref="ArgumentException">No input or output, an input given twice, or an output that does not come from the inputs.</exception>
    public FunctionalGraph(IReadOnlyList<Input> inputs, IReadOnlyList<SymbolicTensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (inputs.Count == 0 || inputs.Any(i => i is null))
        {
            throw new ArgumentException("A model needs at least one Input, and no null ones.", nameof(inputs));
        }
        if (inputs.Distinct().Count() != inputs.Count)
        {
            throw new ArgumentException("Each Input may be given to a model once; one is given twice.", nameof(inputs));
        }
        if (outputs.Count == 0 || outputs.Any(o => o is null))
        {
            throw new ArgumentException("A model needs at least one output, and no null ones.", nameof(outputs));
        }
        Inputs = inputs.ToArray();
        Outputs = outputs.ToArray();
        var nodes = new List<SymbolicTensor.Node>();
        var seen = new HashSet<SymbolicTensor.Node>();
        foreach (var output in Outputs)
        {
            Collect(output, nodes, seen);
        }
        Nodes = nodes;
        Layers = nodes.Select(n => n.Layer).Distinct().ToArray();
        // Keras numbers the calls of a shared layer: dense[0] is its first call, dense[1] its second.
        foreach (var group in nodes.GroupBy(n => n.Layer))
        {
            int i = 0;
            foreach (var node in group) _callIndex[node] = i++;
        }
    }

    public IReadOnlyList<Input> Inputs { get; }

    public IReadOnlyList<SymbolicTensor> Outputs { get; }

    /// <summary>Layer calls, each after the calls that produce its inputs.</summary>
    public IReadOnlyList<SymbolicTensor.Node> Nodes { get; }

    /// <summary>Distinct layers in the order of their first call.</summary>
    public IReadOnlyList<Layer> Layers { get; }

    /// <summary>Whether the graph is a plain chain from one input (Keras's "sequential-like", whose summary has no
    /// "Connected to" column): each call reads only the previous call's first output, and no layer is called twice.</summary>
    public bool IsChain =>
        Inputs.Count == 1 && Layers.Count == Nodes.Count &&
        Nodes.Select((node, i) => node.Inputs.Count == 1 &&
            (i == 0 ? ReferenceEquals(node.Inputs[0], Inputs[0]) : node.Inputs[0].Producer == Nodes[i - 1])).All(ok => ok);

    /// <summary>Where a call's inputs come from, Keras-style: <c>input_layer[0][0]</c>, <c>dense_1[0][1]</c>
    /// (layer, call, output).</summary>
    public IEnumerable<string> ConnectionsOf(SymbolicTensor.Node node) =>
        node.Inputs.Select(t => t is Input input
            ? $"{input.Name}[0][0]"
            : $"{t.Producer!.Layer.Name}[{_callIndex[t.Producer]}][{t.OutputIndex}]");

    /// <summary>Runs the graph on a batch.</summary>
    /// <param name="inputs">One batch per input, in order, already checked and prepared.</param>
    /// <returns>The outputs and the mask that follows the first output (null without masking).</returns>
    public (IReadOnlyList<Tensor> Outputs, Tensor? Mask) Forward(IReadOnlyList<Tensor> inputs)
    {
        var values = new Dictionary<SymbolicTensor, Tensor>();
        var masks = new Dictionary<SymbolicTensor, Tensor?>();
        for (int i = 0; i < Inputs.Count; i++)
        {
            values[Inputs[i]] = inputs[i];
            masks[Inputs[i]] = null;
        }
        foreach (var node in Nodes)
        {
            var nodeInputs = node.Inputs.Select(t => values[t]).ToArray();
            var nodeMasks = node.Inputs.Select(t => masks[t]).ToArray();
            var outputs = node.Layer.Call(nodeInputs, nodeMasks);
            var outputMask = node.Layer.ComputeMask(nodeInputs, nodeMasks);
            foreach (var symbolic in node.Outputs)
            {
                values[symbolic] = outputs[symbolic.OutputIndex];
                // Keras masks the main output; extra outputs (a recurrent layer's states) have none.
                masks[symbolic] = symbolic.OutputIndex == 0 ? outputMask : null;
            }
        }
        return (Outputs.Select(o => values[o]).ToArray(), masks[Outputs[0]]);
    }

    // Depth-first from an output: every call is listed after the calls it reads from.
    private void Collect(SymbolicTensor t, List<SymbolicTensor.Node> nodes, HashSet<SymbolicTensor.Node> seen)
    {
        if (t.Producer is null)
        {
            if (!Inputs.Contains(t))
            {
                throw new ArgumentException(
                    $"Output {t} depends on {(t is Input input ? $"Input '{input.Name}'" : "a tensor")} that is not among the model's inputs.", "outputs");
            }
            return;
        }
        if (!seen.Add(t.Producer)) return;
        foreach (var input in t.Producer.Inputs)
        {
            Collect(input, nodes, seen);
        }
        nodes.Add(t.Producer);
    }
}
