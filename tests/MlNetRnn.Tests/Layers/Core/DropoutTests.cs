using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Tests.Numerics;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers.Core;

[TestClass]
public sealed class DropoutTests
{
    [TestMethod]
    public void Inference_IsTheIdentity()
    {
        using var scope = NewDisposeScope();
        var x = arange(12, dtype: ScalarType.Float32).reshape(2, 6);
        var dropout = new Dropout(0.5);
        dropout.Build([6], null);
        Assert.IsTrue(dropout.Call(x)[0].allclose(x, rtol: 0, atol: 0), "a layer called on its own runs in inference mode");
        var input = new Input([6]);
        using var model = new Model(input, new Dropout(0.9).Apply(input), seed: 1);
        Assert.IsTrue(model.Predict(x).allclose(x, rtol: 0, atol: 0));
    }

    [TestMethod]
    public void Training_DropsAboutRateAndScalesTheRest()
    {
        using var scope = NewDisposeScope();
        var dropout = new Dropout(0.25, seed: 3);
        dropout.Build([100], null);
        dropout.train(true);
        var y = dropout.Call(ones(200, 100))[0];
        var values = y.unique().Item1.data<float>().ToArray();
        CollectionAssert.AreEqual(new[] { 0f, 1 / 0.75f }, values, "dropped elements are 0, kept ones scaled by 1/(1 − rate)");
        double dropped = y.eq(0).to_type(ScalarType.Float64).mean().item<double>();
        Assert.AreEqual(0.25, dropped, 0.01, "seeded, so fixed; 0.01 is 3.3 standard deviations of the fraction dropped out of 20,000");
    }

    [TestMethod]
    public void Seed_RepeatsTheMasks()
    {
        using var scope = NewDisposeScope();
        Tensor Draw(int seed)
        {
            var dropout = new Dropout(0.5, seed: seed);
            dropout.Build([50], null);
            dropout.train(true);
            return dropout.Call(ones(4, 50))[0];
        }
        Assert.IsTrue(Draw(7).allclose(Draw(7), rtol: 0, atol: 0));
        Assert.IsFalse(Draw(7).allclose(Draw(8), rtol: 0, atol: 0));
    }

    [TestMethod]
    public void SeededModel_RepeatsTrainingExactly()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(4);
        var x = randn([16, 6], generator: g);
        var y = randint(0, 3, [16], generator: g);
        History Train(int seed)
        {
            var input = new Input([6]);
            var hidden = new Dropout(0.5).Apply(new Dense(8, activation: "relu").Apply(input)[0])[0];
            using var model = new Model(input, new Dense(3, activation: "softmax").Apply(hidden), seed: seed);
            model.Compile(loss: "sparse_categorical_crossentropy", optimizer: "adam");
            return model.Fit(x, y, epochs: 5, batchSize: 4, verbose: 0);
        }
        CollectionAssert.AreEqual(Train(1).Loss.ToArray(), Train(1).Loss.ToArray());
        CollectionAssert.AreNotEqual(Train(1).Loss.ToArray(), Train(2).Loss.ToArray());
    }

    [TestMethod]
    public void NoiseShape_SharesTheMaskAcrossTime()
    {
        using var scope = NewDisposeScope();
        var dropout = new Dropout(0.5, noiseShape: [-1, 1, 8], seed: 1);
        dropout.Build([5, 8], null);
        dropout.train(true);
        var y = dropout.Call(ones(3, 5, 8))[0];
        Assert.IsTrue(y.eq(y[.., ..1, ..]).all().item<bool>(), "every step has the first step's mask");
        var e = Assert.ThrowsExactly<ArgumentException>(() => new Dropout(0.5, noiseShape: [-1, 8]).Build([5, 8], null));
        StringAssert.Contains(e.Message, "rank 2");
        StringAssert.Contains(e.Message, "rank 3");
    }

    [TestMethod]
    public void MaskPassesThrough_AndGradientIsTheScaledMask() => Float64.Run(() =>
    {
        var dropout = new Dropout(0.4, seed: 2);
        dropout.Build([6], null);
        var mask = tensor(new[] { true, false }).reshape(1, 2);
        Assert.AreSame(mask, dropout.ComputeMask(zeros(1, 2), mask));
        dropout.train(true);
        var x = full(3, 6, 2.0).requires_grad_(true);
        var y = dropout.Call(x)[0];
        y.sum().backward();
        // y = x·keep/(1 − rate), so ∂Σy/∂x = keep/(1 − rate) = y / x.
        Assert.IsTrue(x.grad!.allclose(y.detach() / 2.0, rtol: 0, atol: 1e-15));
        // In inference the layer is the identity, and finite differences agree.
        dropout.train(false);
        Assert.AreEqual(18, LayerChecks.AssertGradientsMatch(dropout, [randn(3, 6)]));
    });

    [TestMethod]
    public void Rate_OutsideZeroToOne_IsRejected()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new Dropout(1.0));
        StringAssert.Contains(e.Message, "received rate=1");
        Assert.ThrowsExactly<ArgumentException>(() => new Dropout(-0.1));
    }

    [TestMethod]
    public void Config_RoundTrips()
    {
        var rebuilt = (Dropout)LayerChecks.AssertConfigRoundTrip(new Dropout(0.3, noiseShape: [-1, 1, 4], seed: 9, name: "drop"));
        Assert.AreEqual(0.3, rebuilt.Rate);
        Assert.AreEqual(9, rebuilt.Seed);
        CollectionAssert.AreEqual(new long[] { -1, 1, 4 }, rebuilt.NoiseShape!.ToArray());
        Assert.IsNull(((Dropout)LayerChecks.AssertConfigRoundTrip(new Dropout(0.1))).Seed);
    }
}
