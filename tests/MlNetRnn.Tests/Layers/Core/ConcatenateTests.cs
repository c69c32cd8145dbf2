using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Tests.Numerics;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers.Core;

[TestClass]
public sealed class ConcatenateTests
{
    [TestMethod]
    public void OutputShapes_AddUpAlongTheAxis()
    {
        CollectionAssert.AreEqual(new long[] { -1, 7 }, new Concatenate().ComputeOutputShapes([[-1, 3], [-1, 4]])[0]);
        CollectionAssert.AreEqual(new long[] { 5, 7 }, new Concatenate().ComputeOutputShapes([[-1, 3], [5, 4]])[0]);
        CollectionAssert.AreEqual(new long[] { 7, 3 }, new Concatenate(axis: 1).ComputeOutputShapes([[5, 3], [2, 3]])[0]);
        CollectionAssert.AreEqual(new long[] { -1, 3 }, new Concatenate(axis: -2).ComputeOutputShapes([[-1, 3], [2, 3]])[0]);
        var e = Assert.ThrowsExactly<ArgumentException>(() => new Concatenate().ComputeOutputShapes([[5, 3], [4, 3]]));
        StringAssert.Contains(e.Message, "[(None, 5, 3), (None, 4, 3)]");
        StringAssert.Contains(e.Message, "matching shapes except for the concatenation axis -1");
        e = Assert.ThrowsExactly<ArgumentException>(() => new Concatenate(axis: 3).ComputeOutputShapes([[5, 3], [5, 3]]));
        StringAssert.Contains(e.Message, "axis 3 is out of range");
        Assert.ThrowsExactly<ArgumentException>(() => new Concatenate(axis: 0));
    }

    [TestMethod]
    public void Forward_JoinsTheInputs()
    {
        using var scope = NewDisposeScope();
        var a = new Input([2, 1]);
        var b = new Input([2, 2]);
        using var model = new Model([a, b], new Concatenate().Apply(a, b));
        var y = model.Predict([tensor(new float[] { 1, 2 }).reshape(1, 2, 1), tensor(new float[] { 3, 4, 5, 6 }).reshape(1, 2, 2)]);
        CollectionAssert.AreEqual(new float[] { 1, 3, 4, 2, 5, 6 }, y.data<float>().ToArray());
    }

    [TestMethod]
    public void Mask_IsTheLogicalOrOfTheInputMasks_AsInKeras3()
    {
        using var scope = NewDisposeScope();
        var concatenate = new Concatenate();
        var inputs = new[] { zeros(1, 4, 2), zeros(1, 4, 3) };
        var left = tensor(new[] { true, true, true, false }).reshape(1, 4);
        var right = tensor(new[] { true, false, true, true }).reshape(1, 4);
        Assert.IsNull(concatenate.ComputeMask(inputs, [null, null]));
        var shorter = tensor(new[] { true, false, false, false }).reshape(1, 4);
        CollectionAssert.AreEqual(new[] { true, true, true, false }, concatenate.ComputeMask(inputs, [left, shorter])!.data<bool>().ToArray());
        CollectionAssert.AreEqual(new[] { true, true, true, true }, concatenate.ComputeMask(inputs, [left, right])!.data<bool>().ToArray());
        // An unmasked input counts as all real.
        CollectionAssert.AreEqual(new[] { true, true, true, true }, concatenate.ComputeMask(inputs, [left, null])!.data<bool>().ToArray());
        // Along time the masks are joined end to end.
        var alongTime = new Concatenate(axis: 1).ComputeMask([zeros(1, 4, 2), zeros(1, 4, 2)], [left, null])!;
        CollectionAssert.AreEqual(new[] { true, true, true, false, true, true, true, true }, alongTime.data<bool>().ToArray());
    }

    [TestMethod]
    public void Gradients_MatchFiniteDifferences() => Float64.Run(() =>
    {
        var concatenate = new Concatenate(axis: 1);
        concatenate.Build([[2, 3], [4, 3]], null);
        Assert.AreEqual(2 * 6 + 2 * 12, LayerChecks.AssertGradientsMatch(concatenate, [randn(2, 2, 3), randn(2, 4, 3)]));
    });

    [TestMethod]
    public void Call_WithTheWrongNumberOfInputs_SaysSo()
    {
        using var scope = NewDisposeScope();
        var concatenate = new Concatenate();
        concatenate.Build([[3], [4]], null);
        var e = Assert.ThrowsExactly<ArgumentException>(() => concatenate.Call(zeros(1, 3)));
        StringAssert.Contains(e.Message, "expects 2 input(s); received 1");
    }

    [TestMethod]
    public void Config_RoundTrips() =>
        Assert.AreEqual(1, ((Concatenate)LayerChecks.AssertConfigRoundTrip(new Concatenate(axis: 1, name: "join"))).Axis);
}
