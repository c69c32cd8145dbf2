using MlNetRnn.Layers;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers;

/// <summary>Checks shared by the layer tests: float64 gradients against central differences, config round trips.</summary>
internal static class LayerChecks
{
    /// <summary>Runs <paramref name="body"/> with float64 as the default dtype (layers built inside get float64 weights).</summary>
    public static void InFloat64(Action body)
    {
        var previous = get_default_dtype();
        set_default_dtype(ScalarType.Float64);
        try
        {
            using var scope = NewDisposeScope();
            body();
        }
        finally
        {
            set_default_dtype(previous);
        }
    }

    /// <summary>
    /// Compares autograd with central finite differences for every weight element of a built float64 layer and every
    /// element of its floating inputs, on the loss Σ output·R for a fixed random R. Returns how many were checked.
    /// </summary>
    public static int AssertGradientsMatch(Layer layer, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?>? masks = null)
    {
        var leaves = inputs.Select(x => x.is_floating_point() ? x.detach().clone().requires_grad_(true) : x).ToArray();
        using var g = new Generator(99);
        var projection = randn(layer.Call(leaves, masks)[0].shape, dtype: ScalarType.Float64, generator: g);

        double Loss()
        {
            using var inner = NewDisposeScope();
            using var noGrad = no_grad();
            return (layer.Call(leaves, masks)[0] * projection).sum().item<double>();
        }

        (layer.Call(leaves, masks)[0] * projection).sum().backward();
        var checkedTensors = layer.Weights.Select(w => (Name: w.Name, Variable: w.Variable))
            .Concat(leaves.Where(x => x.is_floating_point()).Select((x, i) => (Name: $"input {i}", Variable: x)));
        int count = 0;
        foreach (var (name, variable) in checkedTensors)
        {
            Assert.AreEqual(ScalarType.Float64, variable.dtype, name);
            var analytic = variable.grad!.flatten().data<double>().ToArray();
            var flat = variable.detach().view(-1);
            const double h = 1e-6;
            for (int i = 0; i < analytic.Length; i++)
            {
                double original = flat[i].item<double>();
                using (no_grad()) flat[i].fill_(original + h);
                double plus = Loss();
                using (no_grad()) flat[i].fill_(original - h);
                double minus = Loss();
                using (no_grad()) flat[i].fill_(original);
                double numeric = (plus - minus) / (2 * h);
                Assert.AreEqual(numeric, analytic[i], 1e-7 + 1e-5 * Math.Abs(numeric), $"{name}[{i}]");
                count++;
            }
        }
        return count;
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
