using MlNetRnn.Layers;
using TorchSharp;
using static MlNetRnn.Tests.Layers.Recurrent.RecurrentKinds;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers.Recurrent;

/// <summary>
/// Keras-layout weights given to libtorch's own modules after explicit reordering must give the layers' numbers:
/// this pins the gate order ([i f c o] for LSTM, [z r h] for GRU against libtorch's [r z n]).
/// </summary>
[TestClass]
public sealed class GateOrderTests
{
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void Lstm_EqualsLibtorchLstm_WithTransposedWeights(bool stepwise)
    {
        using var scope = NewDisposeScope();
        var layer = new LSTM(5, biasInitializer: "uniform", returnSequences: true, returnState: true) { PreferStepwise = stepwise };
        using var model = Functional(layer, 6, 3);
        var (kernel, recurrent, bias) = Weights(model.GetWeights());
        using var reference = nn.LSTM(3, 5, batchFirst: true);
        Load(reference, kernel.t(), recurrent.t(), bias, zeros_like(bias));
        var x = RandomBatch(2, 6, 3, 12);
        using var noGrad = no_grad();
        var (sequence, h, c) = reference.call(x);
        var actual = layer.Call(x);
        Assert.IsTrue(actual[0].allclose(sequence, rtol: 0, atol: 1e-6), "sequence");
        Assert.IsTrue(actual[1].allclose(h[0], rtol: 0, atol: 1e-6), "h");
        Assert.IsTrue(actual[2].allclose(c[0], rtol: 0, atol: 1e-6), "c");
    }

    [TestMethod]
    public void Gru_EqualsLibtorchGru_WithGatesReorderedFromZrhToRzn()
    {
        using var scope = NewDisposeScope();
        var layer = new GRU(5, biasInitializer: "uniform", returnSequences: true, returnState: true);
        using var model = Functional(layer, 6, 3);
        var (kernel, recurrent, bias) = Weights(model.GetWeights());
        using var reference = nn.GRU(3, 5, batchFirst: true);
        Load(reference, ToRzn(kernel).t(), ToRzn(recurrent).t(), ToRzn(bias[0]), ToRzn(bias[1]));
        var x = RandomBatch(2, 6, 3, 13);
        using var noGrad = no_grad();
        var (sequence, h) = reference.call(x);
        var actual = layer.Call(x);
        Assert.IsTrue(actual[0].allclose(sequence, rtol: 0, atol: 1e-6), "sequence");
        Assert.IsTrue(actual[1].allclose(h[0], rtol: 0, atol: 1e-6), "h");
    }

    [TestMethod]
    public void Lstm_OneStepByHand()
    {
        // units 1, input 1: kernel [i f c o] = [1, 2, 3, 4], recurrent all 0, bias [0, 0, 0, 0], x = 0.5:
        // i = σ(0.5), f = σ(1), c = i·tanh(1.5), o = σ(2), h = o·tanh(c).
        using var scope = NewDisposeScope();
        var layer = new LSTM(1, returnState: true);
        using var model = Functional(layer, 1, 1);
        model.SetWeights([tensor(new float[,] { { 1, 2, 3, 4 } }), zeros(1, 4), zeros(4)]);
        var outputs = model.PredictOutputs(tensor(new float[] { 0.5f }).reshape(1, 1, 1));
        double i = 1 / (1 + Math.Exp(-0.5)), o = 1 / (1 + Math.Exp(-2));
        double c = i * Math.Tanh(1.5);
        Assert.AreEqual(c, outputs[2].item<float>(), 1e-7);
        Assert.AreEqual(o * Math.Tanh(c), outputs[1].item<float>(), 1e-7);
        Assert.AreEqual(o * Math.Tanh(c), outputs[0].item<float>(), 1e-7);
    }

    [TestMethod]
    public void Lstm_UnitForgetBias_StartsTheForgetGateAtOne()
    {
        using var scope = NewDisposeScope();
        using var model = Functional(new LSTM(2), 3, 2);
        CollectionAssert.AreEqual(new float[] { 0, 0, 1, 1, 0, 0, 0, 0 }, model.GetWeights()[2].data<float>().ToArray());
        using var plain = Functional(new LSTM(2, unitForgetBias: false), 3, 2);
        CollectionAssert.AreEqual(new float[8], plain.GetWeights()[2].data<float>().ToArray());
    }

    private static (Tensor Kernel, Tensor Recurrent, Tensor Bias) Weights(IReadOnlyList<Tensor> w) => (w[0], w[1], w[2]);

    // Keras [z r h] blocks along the last axis → libtorch [r z n].
    private static Tensor ToRzn(Tensor t)
    {
        var blocks = t.chunk(3, -1);
        return cat([blocks[1], blocks[0], blocks[2]], -1);
    }

    private static void Load(nn.Module module, Tensor inputWeight, Tensor recurrentWeight, Tensor inputBias, Tensor recurrentBias)
    {
        var p = module.named_parameters().ToDictionary(n => n.name, n => n.parameter);
        using var noGrad = no_grad();
        p["weight_ih_l0"].copy_(inputWeight);
        p["weight_hh_l0"].copy_(recurrentWeight);
        p["bias_ih_l0"].copy_(inputBias);
        p["bias_hh_l0"].copy_(recurrentBias);
    }
}
