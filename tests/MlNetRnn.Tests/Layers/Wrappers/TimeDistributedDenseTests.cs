using MlNetRnn.Layers;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers.Wrappers;

/// <summary><see cref="TimeDistributed"/> applies a wrapped <see cref="Dense"/> to the last axis directly (no fold
/// into (batch·time, features)); outputs and gradients stay bit for bit those of the Dense on the folded input.</summary>
[TestClass]
public sealed class TimeDistributedDenseTests
{
    [TestMethod]
    [DataRow(new long[] { 2, 5, 7 })]
    [DataRow(new long[] { 1, 20, 7 })]
    [DataRow(new long[] { 2, 3, 4, 7 })]
    public void WrappedDense_EqualsDenseOnFoldedInput_BitForBit(long[] shape)
    {
        using var scope = NewDisposeScope();
        var dense = new Dense(6, activation: "softmax");
        var wrapper = new TimeDistributed(dense);
        wrapper.Build([shape[1..]], manual_seed(3));
        var inputs = randn(shape, generator: manual_seed(4)).requires_grad_();
        var folded = inputs.detach().clone().requires_grad_();

        var output = wrapper.Call(inputs)[0];
        long[] outputShape = shape[..^1].Append(6L).ToArray();
        var expected = dense.Call(folded.reshape(shape[2..].Prepend(-1L).ToArray()))[0].reshape(outputShape);
        CollectionAssert.AreEqual(outputShape, output.shape);
        AssertBitwiseEqual(expected, output);

        // The same upstream gradient reaches the input and the kernel identically.
        var upstream = randn(output.shape, generator: manual_seed(5));
        var kernel = dense.Weights[0];
        var fromWrapper = autograd.grad([output], [inputs, WeightOf(dense)], [upstream]);
        var fromFolded = autograd.grad([expected], [folded, WeightOf(dense)], [upstream]);
        Assert.AreEqual("kernel", kernel.Name);
        AssertBitwiseEqual(fromFolded[0], fromWrapper[0]);
        AssertBitwiseEqual(fromFolded[1], fromWrapper[1]);
    }

    private static Tensor WeightOf(Dense dense) => dense.parameters().First();

    private static void AssertBitwiseEqual(Tensor expected, Tensor actual)
    {
        CollectionAssert.AreEqual(expected.shape, actual.shape);
        CollectionAssert.AreEqual(
            expected.contiguous().data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).ToArray(),
            actual.contiguous().data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).ToArray());
    }
}
