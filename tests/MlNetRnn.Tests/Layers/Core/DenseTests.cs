using MlNetRnn.Layers;
using MlNetRnn.Tests.Numerics;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers.Core;

[TestClass]
public sealed class DenseTests
{
    [TestMethod]
    public void OutputShapes_ReplaceTheLastAxis()
    {
        var dense = new Dense(4);
        CollectionAssert.AreEqual(new long[] { -1, 4 }, dense.ComputeOutputShapes([-1, 3])[0]);
        CollectionAssert.AreEqual(new long[] { 4 }, dense.ComputeOutputShapes([3])[0]);
        var e = Assert.ThrowsExactly<ArgumentException>(() => dense.ComputeOutputShapes([5, -1]));
        StringAssert.Contains(e.Message, "known last axis");
    }

    [TestMethod]
    public void KerasLayoutWeights_GiveInputTimesKernelPlusBias()
    {
        using var scope = NewDisposeScope();
        var dense = new Dense(2, activation: "relu");
        dense.Build([3], null);
        var kernel = tensor(new float[] { 1, -1, 2, 0, 0, 3 }).reshape(3, 2);   // Keras layout (features, units)
        var bias = tensor(new float[] { 0.5f, -10 });
        dense.Weights[0].Assign(kernel, "kernel");
        dense.Weights[1].Assign(bias, "bias");
        Assert.IsTrue(dense.Weights[0].Read().allclose(kernel, rtol: 0, atol: 0));
        var y = dense.Call(tensor(new float[] { 1, 2, 3 }).reshape(1, 3))[0];
        // [1, 2, 3]·kernel = [5, 8]; + bias = [5.5, −2]; relu → [5.5, 0].
        CollectionAssert.AreEqual(new[] { 5.5f, 0f }, y.data<float>().ToArray());
    }

    [TestMethod]
    public void Mask_PassesThrough()
    {
        using var scope = NewDisposeScope();
        var dense = new Dense(2);
        dense.Build([4, 3], null);
        var mask = tensor(new[] { true, true, false, false }).reshape(1, 4);
        Assert.AreSame(mask, dense.ComputeMask(zeros(1, 4, 3), mask));
    }

    [TestMethod]
    public void Gradients_MatchFiniteDifferences() => Float64.Run(() =>
    {
        using var g = new Generator(5);
        var dense = new Dense(3, activation: "tanh", biasInitializer: "uniform");
        dense.Build([4, 2], g);
        int checkedCount = LayerChecks.AssertGradientsMatch(dense, [randn([2, 4, 2], generator: g)]);
        Assert.AreEqual(2 * 3 + 3 + 2 * 4 * 2, checkedCount);
    });

    [TestMethod]
    public void Config_RoundTrips()
    {
        var dense = new Dense(7, activation: "softmax", useBias: false, kernelInitializer: "he_normal", inputShape: [-1, 3], name: "tags");
        var config = dense.GetConfig();
        Assert.AreEqual(7, (int)config["units"]!);
        Assert.AreEqual("softmax", (string)config["activation"]!);
        Assert.IsFalse((bool)config["use_bias"]!);
        Assert.AreEqual("he_normal", (string)config["kernel_initializer"]!);
        var rebuilt = (Dense)LayerChecks.AssertConfigRoundTrip(dense);
        Assert.AreEqual("tags", rebuilt.Name);
        CollectionAssert.AreEqual(new long[] { -1, 3 }, rebuilt.InputShape);
    }
}
