using MlNetRnn.Layers;
using MlNetRnn.Tests.Numerics;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers.Convolutional;

[TestClass]
public sealed class Conv1DTests
{
    [TestMethod]
    public void OutputShapes_FollowKerasFormulas()
    {
        CollectionAssert.AreEqual(new long[] { 8, 4 }, new Conv1D(4, 3).ComputeOutputShapes([10, 2])[0]);
        CollectionAssert.AreEqual(new long[] { 4, 4 }, new Conv1D(4, 3, strides: 2).ComputeOutputShapes([10, 2])[0]);
        CollectionAssert.AreEqual(new long[] { 6, 4 }, new Conv1D(4, 3, dilationRate: 2).ComputeOutputShapes([10, 2])[0]);
        CollectionAssert.AreEqual(new long[] { 10, 4 }, new Conv1D(4, 4, padding: "same").ComputeOutputShapes([10, 2])[0]);
        CollectionAssert.AreEqual(new long[] { 4, 4 }, new Conv1D(4, 3, strides: 3, padding: "same").ComputeOutputShapes([10, 2])[0]);
        CollectionAssert.AreEqual(new long[] { -1, 4 }, new Conv1D(4, 3).ComputeOutputShapes([-1, 2])[0]);
        var e = Assert.ThrowsExactly<ArgumentException>(() => new Conv1D(4, 5).ComputeOutputShapes([3, 2]));
        StringAssert.Contains(e.Message, "at least 5 steps");
        e = Assert.ThrowsExactly<ArgumentException>(() => new Conv1D(4, 3, padding: "causal"));
        StringAssert.Contains(e.Message, "received padding=causal");
        e = Assert.ThrowsExactly<ArgumentException>(() => new Conv1D(4, 3, strides: 2, dilationRate: 2));
        StringAssert.Contains(e.Message, "strides=2, dilationRate=2");
    }

    // y[b, t, f] = bias[f] + Σ_k Σ_c x[b, t·strides + k·dilation − left, c] · kernel[k, c, f], zeros outside the input.
    private static double[,,] HandConvolution(double[,,] x, double[,,] kernel, double[] bias, int strides, int dilation, int left, int outSteps)
    {
        int batch = x.GetLength(0), steps = x.GetLength(1), channels = x.GetLength(2);
        int kernelSize = kernel.GetLength(0), filters = kernel.GetLength(2);
        var y = new double[batch, outSteps, filters];
        for (int b = 0; b < batch; b++)
        for (int t = 0; t < outSteps; t++)
        for (int f = 0; f < filters; f++)
        {
            double sum = bias[f];
            for (int k = 0; k < kernelSize; k++)
            {
                int s = t * strides + k * dilation - left;
                if (s < 0 || s >= steps) continue;
                for (int c = 0; c < channels; c++) sum += x[b, s, c] * kernel[k, c, f];
            }
            y[b, t, f] = sum;
        }
        return y;
    }

    [TestMethod]
    [DataRow(3, 1, 1, "valid", 0)]
    [DataRow(2, 2, 1, "valid", 0)]
    [DataRow(3, 1, 2, "valid", 0)]
    [DataRow(3, 1, 1, "same", 1)]    // odd kernel: 1 left, 1 right
    [DataRow(4, 1, 1, "same", 1)]    // even kernel: total 3, 1 left, 2 right (Keras pads more on the right)
    [DataRow(2, 1, 1, "same", 0)]    // total 1: all of it on the right
    [DataRow(3, 2, 1, "same", 1)]    // 7 steps, stride 2: 4 outputs, total 2
    public void MatchesAHandWrittenConvolution(int kernelSize, int strides, int dilation, string padding, int left) => Float64.Run(() =>
    {
        using var g = new Generator(11);
        var conv = new Conv1D(3, kernelSize, strides: strides, padding: padding, dilationRate: dilation, biasInitializer: "uniform");
        conv.Build([7, 2], g);
        var x = randn([2, 7, 2], generator: g);
        var y = conv.Call(x)[0];
        var kernel = conv.Weights[0].Read();
        CollectionAssert.AreEqual(new long[] { kernelSize, 2, 3 }, kernel.shape, "Keras layout (kernelSize, channels, filters)");
        var expected = HandConvolution(ToArray3(x), ToArray3(kernel), conv.Weights[1].Read().data<double>().ToArray(),
            strides, dilation, left, (int)y.shape[1]);
        Assert.IsTrue(y.allclose(tensor(expected), rtol: 0, atol: 1e-12));
    });

    [TestMethod]
    public void SamePadding_PutsTheExtraZeroOnTheRight()
    {
        using var scope = NewDisposeScope();
        // One channel, one filter, a kernel that reads only its last tap: output t sees input t − left + kernelSize − 1.
        var conv = new Conv1D(1, 4, padding: "same", useBias: false);
        conv.Build([5, 1], null);
        conv.Weights[0].Assign(tensor(new float[] { 0, 0, 0, 1 }).reshape(4, 1, 1), "kernel");
        var y = conv.Call(tensor(new float[] { 1, 2, 3, 4, 5 }).reshape(1, 5, 1))[0];
        // left = 1, right = 2: output t reads input t + 2.
        CollectionAssert.AreEqual(new float[] { 3, 4, 5, 0, 0 }, y.data<float>().ToArray());
    }

    [TestMethod]
    public void MatchesLibtorchConv1dAfterPermutingTheKernel()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(2);
        var conv = new Conv1D(5, 3, strides: 2, biasInitializer: "uniform");
        conv.Build([9, 4], g);
        using var reference = nn.Conv1d(4, 5, 3, stride: 2);
        using (no_grad())
        {
            reference.weight!.copy_(conv.Weights[0].Read().permute(2, 1, 0));
            reference.bias!.copy_(conv.Weights[1].Read());
        }
        var x = randn([3, 9, 4], generator: g);
        var expected = reference.forward(x.transpose(1, 2)).transpose(1, 2);
        Assert.IsTrue(conv.Call(x)[0].allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [TestMethod]
    public void KerasKernel_RoundTrips()
    {
        using var scope = NewDisposeScope();
        var conv = new Conv1D(2, 3);
        conv.Build([6, 4], null);
        var kernel = arange(24, dtype: ScalarType.Float32).reshape(3, 4, 2);
        conv.Weights[0].Assign(kernel, "kernel");
        Assert.IsTrue(conv.Weights[0].Read().allclose(kernel, rtol: 0, atol: 0));
        CollectionAssert.AreEqual(new long[] { 3, 4, 2 }, conv.Weights[0].Shape);
        Assert.AreEqual(24 + 2, conv.CountParams());
    }

    [TestMethod]
    [DataRow(3)]
    [DataRow(4)]
    public void Masking_PaddingChangesNothingAtRealPositions(int kernelSize)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(8);
        var conv = new Conv1D(3, kernelSize, padding: "same", activation: "relu");
        conv.Build([-1, 2], g);
        var word = randn([1, 3, 2], generator: g);
        var alone = conv.Call(word)[0];
        // The same 3 steps padded to 6 with garbage that the mask marks as padding.
        var padded = cat([word, full(1, 3, 2, 100f)], 1);
        var mask = tensor(new[] { true, true, true, false, false, false }).reshape(1, 6);
        var masked = conv.Call(padded, mask)[0];
        Assert.IsTrue(masked[.., ..3, ..].allclose(alone, rtol: 0, atol: 1e-6));
        Assert.AreSame(mask, conv.ComputeMask(padded, mask), "'same' with strides 1 keeps the mask");
        Assert.IsNull(new Conv1D(3, kernelSize).ComputeMask(padded, mask), "'valid' drops it, as in Keras");
    }

    [TestMethod]
    [DataRow("valid", 1, 1)]
    [DataRow("same", 1, 2)]
    [DataRow("same", 2, 1)]
    public void Gradients_MatchFiniteDifferences(string padding, int strides, int dilation) => Float64.Run(() =>
    {
        using var g = new Generator(6);
        var conv = new Conv1D(2, 3, strides: strides, padding: padding, dilationRate: dilation, activation: "tanh", biasInitializer: "uniform");
        conv.Build([6, 3], g);
        var mask = tensor(new[] { true, true, true, true, false, false, true, true, true, true, true, true }).reshape(2, 6);
        int checkedCount = LayerChecks.AssertGradientsMatch(conv, [randn([2, 6, 3], generator: g)], [mask]);
        Assert.AreEqual(3 * 3 * 2 + 2 + 2 * 6 * 3, checkedCount);
    });

    [TestMethod]
    public void Config_RoundTrips()
    {
        var conv = new Conv1D(16, 3, strides: 2, padding: "same", activation: "relu", useBias: false, kernelInitializer: "he_uniform", name: "chars");
        var config = conv.GetConfig();
        Assert.AreEqual("[3]", config["kernel_size"]!.ToJsonString(), "Keras writes sizes as tuples");
        var rebuilt = (Conv1D)LayerChecks.AssertConfigRoundTrip(conv);
        Assert.AreEqual(2, rebuilt.Strides);
        Assert.AreEqual("same", rebuilt.Padding);
        // Plain integers, as a hand-written config might have them, are read too.
        var plain = Conv1D.FromConfig(new LayerConfig("Conv1D", new System.Text.Json.Nodes.JsonObject { ["filters"] = 4, ["kernel_size"] = 5 }));
        Assert.AreEqual(5, plain.KernelSize);
        Assert.AreEqual("valid", plain.Padding);
    }

    private static double[,,] ToArray3(Tensor t)
    {
        var data = t.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        var result = new double[t.shape[0], t.shape[1], t.shape[2]];
        Buffer.BlockCopy(data, 0, result, 0, data.Length * sizeof(double));
        return result;
    }
}
