using MlNetRnn.Layers;
using MlNetRnn.Tests.Numerics;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers;

/// <summary>Checks shared by the layer tests: float64 gradients against central differences, config round trips.</summary>
internal static class LayerChecks
{
    /// <summary>
    /// Compares autograd with central finite differences for every weight element of a built float64 layer and every
    /// element of its floating inputs, on the loss Σ output·R for a fixed random R. Returns how many were checked.
    /// </summary>
    public static int AssertGradientsMatch(Layer layer, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?>? masks = null)
    {
        var leaves = inputs.Select(x => x.is_floating_point() ? x.detach().clone().requires_grad_(true) : x).ToArray();
        using var g = new Generator(99);
        var projection = randn(layer.Call(leaves, masks)[0].shape, dtype: ScalarType.Float64, generator: g);
        var checkedTensors = layer.Weights.Select(w => (Name: w.Name, Variable: w.Variable))
            .Concat(leaves.Where(x => x.is_floating_point()).Select((x, i) => (Name: $"input {i}", Variable: x)));
        return FiniteDifferences.AssertGradientsMatch(() => (layer.Call(leaves, masks)[0] * projection).sum(), checkedTensors).Count;
    }

    /// <summary>GetConfig → JSON text → LayerRegistry.FromJson → GetConfig gives the same JSON; returns the rebuilt layer.</summary>
    public static Layer AssertConfigRoundTrip(Layer layer)
    {
        var json = LayerRegistry.ToJson(layer).ToJsonString();
        var rebuilt = LayerRegistry.FromJson((System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(json)!);
        Assert.AreEqual(layer.GetType(), rebuilt.GetType());
        Assert.AreEqual(json, LayerRegistry.ToJson(rebuilt).ToJsonString());
        return rebuilt;
    }
}
