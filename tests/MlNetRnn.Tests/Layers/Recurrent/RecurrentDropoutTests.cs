using MlNetRnn.Layers;
using TorchSharp;
using static MlNetRnn.Tests.Layers.Recurrent.RecurrentKinds;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers.Recurrent;

[TestClass]
public sealed class RecurrentDropoutTests
{
    [TestMethod]
    [DataRow(SimpleRnn)]
    [DataRow(Lstm)]
    [DataRow(Gru)]
    public void Dropout_IsTheIdentityAtInference(string kind)
    {
        using var scope = NewDisposeScope();
        var dropped = Make(kind, 4, returnSequences: true, dropout: 0.5, recurrentDropout: 0.5);
        var plain = Make(kind, 4, returnSequences: true);
        using var droppedModel = Functional(dropped, 5, 3);
        using var plainModel = Functional(plain, 5, 3);
        plainModel.SetWeights(droppedModel.GetWeights());
        var x = RandomBatch(2, 5, 3, 40);
        Assert.IsTrue(droppedModel.Predict(x).allclose(plainModel.Predict(x), rtol: 0, atol: 0));
    }

    [TestMethod]
    [DataRow(SimpleRnn)]
    [DataRow(Lstm)]
    [DataRow(Gru)]
    public void Dropout_InTraining_RepeatsWithTheSameSeed_AndChangesWithAnother(string kind)
    {
        using var scope = NewDisposeScope();
        var layer = Make(kind, 4, returnSequences: true, dropout: 0.3, recurrentDropout: 0.3);
        using var model = Functional(layer, 5, 3);
        var x = RandomBatch(2, 5, 3, 41);
        using var noGrad = no_grad();
        var inference = layer.Call(x)[0];
        model.train(true);
        Tensor Run(ulong seed)
        {
            using var generator = new Generator(seed);
            layer.SetRandomSource(generator);
            return layer.Call(x)[0];
        }
        var first = Run(7);
        Assert.IsTrue(first.allclose(Run(7), rtol: 0, atol: 0), "same seed, same masks");
        Assert.IsFalse(first.allclose(Run(8), rtol: 0, atol: 1e-4), "another seed, other masks");
        Assert.IsFalse(first.allclose(inference, rtol: 0, atol: 1e-4), "dropout acts in training");
    }

    [TestMethod]
    public void InputDropout_UsesOneMaskForEveryStep_OnTheFusedAndTheSteppedPath()
    {
        // Input dropout alone keeps the fused kernel (the mask is applied to the whole sequence up front); the step
        // loop must draw the same mask and give the same numbers.
        using var scope = NewDisposeScope();
        var layer = new LSTM(4, dropout: 0.5, returnSequences: true);
        using var model = Functional(layer, 5, 3);
        var x = RandomBatch(2, 5, 3, 42);
        model.train(true);
        using var noGrad = no_grad();
        Tensor Run(bool stepwise)
        {
            layer.PreferStepwise = stepwise;
            using var generator = new Generator(9);
            layer.SetRandomSource(generator);
            return layer.Call(x)[0];
        }
        Assert.IsTrue(Run(false).allclose(Run(true), rtol: 0, atol: 1e-6));
    }

    [TestMethod]
    [DataRow(0.5, 0.0)]
    [DataRow(0.5, 0.5)]
    public void DropoutMasks_AreDrawnOncePerCall(double dropout, double recurrentDropout)
    {
        // With a zero recurrent kernel a SimpleRNN's output depends on x_t alone: a constant input gives the same
        // output at every step exactly when every step sees the same dropout mask.
        using var scope = NewDisposeScope();
        var layer = new SimpleRNN(4, dropout: dropout, recurrentDropout: recurrentDropout, returnSequences: true);
        using var model = Functional(layer, 5, 8);
        var w = model.GetWeights();
        model.SetWeights([w[0], zeros_like(w[1]), w[2]]);
        model.train(true);
        using var noGrad = no_grad();
        var outputs = layer.Call(ones(3, 5, 8))[0];
        for (int t = 1; t < 5; t++)
        {
            Assert.IsTrue(outputs[.., t].allclose(outputs[.., 0], rtol: 0, atol: 0), $"step {t}");
        }
        Assert.IsFalse(outputs[0, 0].allclose(layer.Call(ones(3, 5, 8))[0][0, 0], rtol: 0, atol: 1e-6), "a new call draws new masks");
    }
}
