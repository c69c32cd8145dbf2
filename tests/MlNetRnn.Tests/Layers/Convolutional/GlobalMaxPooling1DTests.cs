using MlNetRnn.Layers;
using MlNetRnn.Tests.Numerics;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers.Convolutional;

[TestClass]
public sealed class GlobalMaxPooling1DTests
{
    [TestMethod]
    public void TakesTheLargestValueOfEachFeature()
    {
        using var scope = NewDisposeScope();
        var pool = new GlobalMaxPooling1D();
        CollectionAssert.AreEqual(new long[] { 2 }, pool.ComputeOutputShapes([-1, 2])[0]);
        CollectionAssert.AreEqual(new long[] { 1, 2 }, new GlobalMaxPooling1D(keepDims: true).ComputeOutputShapes([-1, 2])[0]);
        pool.Build([-1, 2], null);
        var x = tensor(new float[] { 1, -5, 3, -2, 2, -9 }).reshape(1, 3, 2);
        CollectionAssert.AreEqual(new float[] { 3, -2 }, pool.Call(x)[0].data<float>().ToArray());
        Assert.AreEqual("global_max_pooling1d", pool.BaseName);
    }

    [TestMethod]
    public void Mask_PaddingNeverWins_AndAnAllMaskedRowGivesZero()
    {
        using var scope = NewDisposeScope();
        var pool = new GlobalMaxPooling1D();
        pool.Build([-1, 2], null);
        var x = tensor(new float[] { -1, -5, -3, -2, 50, 60, /* row 2 */ 7, 8, 9, 10, 11, 12 }).reshape(2, 3, 2);
        var mask = tensor(new[] { true, true, false, false, false, false }).reshape(2, 3);
        var y = pool.Call(x, mask)[0];
        CollectionAssert.AreEqual(new float[] { -1, -2, 0, 0 }, y.data<float>().ToArray());
        Assert.IsNull(pool.ComputeMask(x, mask), "pooling drops the steps axis and its mask");
    }

    [TestMethod]
    public void Gradients_MatchFiniteDifferences() => Float64.Run(() =>
    {
        using var g = new Generator(3);
        var pool = new GlobalMaxPooling1D();
        pool.Build([5, 3], g);
        var mask = tensor(new[] { true, true, true, false, false, false, false, false, false, false }).reshape(2, 5);
        Assert.AreEqual(2 * 5 * 3, LayerChecks.AssertGradientsMatch(pool, [randn([2, 5, 3], generator: g)], [mask]));
    });

    [TestMethod]
    public void Config_RoundTrips() =>
        Assert.IsTrue(((GlobalMaxPooling1D)LayerChecks.AssertConfigRoundTrip(new GlobalMaxPooling1D(keepDims: true))).KeepDims);
}
