using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Training;

[TestClass]
public sealed class KerasSemanticsTests
{
    // Dense(2, softmax) on one input x = [1] with kernel [[0, 0]] and bias [0, 0] gives p = [0.5, 0.5].
    // With y = 0: loss = −log 0.5 = 0.693147; dloss/dz = p − onehot(y) = [−0.5, 0.5], so
    // g(kernel) = xᵀ·(p − y) = [[−0.5, 0.5]] and g(bias) = [−0.5, 0.5].
    private static Sequential OneStepModel(Optimizer optimizer)
    {
        var model = new Sequential();
        model.Add(new Dense(2, activation: "softmax", inputShape: [1]));
        model.SetWeights([zeros(1, 2), zeros(2)]);
        model.Compile(loss: "sparse_categorical_crossentropy", optimizer: optimizer);
        return model;
    }

    [TestMethod]
    public void Adam_OneStepFollowsKerasFormula()
    {
        using var scope = NewDisposeScope();
        using var model = OneStepModel("adam");
        double loss = model.TrainOnBatch(ones(1, 1), zeros(1, dtype: ScalarType.Int64));
        Assert.AreEqual(0.693147, loss, 1e-6);
        // t = 1: α = 0.001·√(1 − 0.999)/(1 − 0.9) = 3.16227766e-4
        // m = 0.1·g = ∓0.05; v = 0.001·g² = 2.5e-4; √v = 1.58113883e-2
        // Δ = α·m/(√v + 1e-7) = 3.16227766e-4 · 0.05 / 1.58114883e-2 = 9.99993675e-4
        // (PyTorch's placement of ε would give 9.99999800e-4.)
        var w = model.GetWeights();
        Assert.AreEqual(9.99993675e-4, w[0][0, 0].item<float>(), 2e-10);
        Assert.AreEqual(-9.99993675e-4, w[0][0, 1].item<float>(), 2e-10);
        Assert.AreEqual(9.99993675e-4, w[1][0].item<float>(), 2e-10);
        Assert.AreEqual(1, model.Optimizer!.Iterations);
    }

    [TestMethod]
    public void Adam_EpsilonIsAddedToTheUncorrectedRoot()
    {
        using var scope = NewDisposeScope();
        using var model = OneStepModel(new Adam(learningRate: 0.001, epsilon: 0.1));
        model.TrainOnBatch(ones(1, 1), zeros(1, dtype: ScalarType.Int64));
        // Δ = 3.16227766e-4 · 0.05 / (1.58113883e-2 + 0.1) = 1.36527e-4
        // (ε on the bias-corrected root, as PyTorch does, would give 0.001·0.5/0.6 = 8.333e-4.)
        Assert.AreEqual(1.36527e-4, model.GetWeights()[1][0].item<float>(), 1e-9);
    }

    [TestMethod]
    public void Sgd_StepIsLearningRateTimesGradient()
    {
        using var scope = NewDisposeScope();
        using var model = OneStepModel("sgd");
        model.TrainOnBatch(ones(1, 1), zeros(1, dtype: ScalarType.Int64));
        // lr 0.01 · g = 0.01 · [−0.5, 0.5] → w = [0.005, −0.005]
        var bias = model.GetWeights()[1].data<float>().ToArray();
        Assert.AreEqual(0.005f, bias[0], 1e-9);
        Assert.AreEqual(-0.005f, bias[1], 1e-9);
    }

    [TestMethod]
    public void SparseCategoricalCrossentropy_ByHand()
    {
        using var scope = NewDisposeScope();
        var loss = new SparseCategoricalCrossentropy();
        // Two steps of one sentence: true classes 0 and 2.
        // −log 0.7 = 0.35667494, −log 0.5 = 0.69314718; mean 0.52491106.
        var p = tensor(new float[] { 0.7f, 0.2f, 0.1f, 0.0f, 0.5f, 0.5f }).reshape(1, 2, 3);
        var y = tensor(new long[] { 0, 2 }).reshape(1, 2);
        Assert.AreEqual(0.52491106, loss.Compute(y, p).item<float>(), 1e-6);
        // Masking the second step leaves −log 0.7.
        Assert.AreEqual(0.35667494, loss.Compute(y, p, tensor(new[] { true, false }).reshape(1, 2)).item<float>(), 1e-6);
        // A zero probability for the true class is clipped to 1e-7: −log 1e-7 = 16.118096.
        Assert.AreEqual(16.118096, loss.Compute(tensor(new long[] { 0 }).reshape(1, 1), p[.., 1..]).item<float>(), 1e-4);
    }

    [TestMethod]
    public void NamesResolveAndUnknownNamesAreRejected()
    {
        Assert.IsInstanceOfType<Adam>(Optimizer.Get("adam"));
        Assert.IsInstanceOfType<SGD>(Optimizer.Get("sgd"));
        var e = Assert.ThrowsExactly<ArgumentException>(() => Optimizer.Get("adamw"));
        StringAssert.Contains(e.Message, "'adamw'");
        e = Assert.ThrowsExactly<ArgumentException>(() => Loss.Get("mse"));
        StringAssert.Contains(e.Message, "'mse'");
        StringAssert.Contains(e.Message, "sparse_categorical_crossentropy");
        e = Assert.ThrowsExactly<ArgumentException>(() => new Dense(3, activation: "softmaxx"));
        StringAssert.Contains(e.Message, "'softmaxx'");
        e = Assert.ThrowsExactly<ArgumentException>(() => new Adam(learningRate: -1));
        StringAssert.Contains(e.Message, "-1");
    }

    [TestMethod]
    public void Initializers_FollowKerasDistributions()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(5);
        // glorot_uniform on (in 200, out 300): limit √(6/500) = 0.1095445.
        var kernel = Initializer.Get("glorot_uniform", "k").Draw([200, 300], g);
        Assert.IsLessThanOrEqualTo(0.1095445, kernel.abs().max().item<float>());
        Assert.IsGreaterThan(0.105, kernel.abs().max().item<float>());
        // orthogonal: QᵀQ = I.
        var q = Initializer.Get("orthogonal", "k").Draw([6, 6], g);
        Assert.IsTrue(q.t().matmul(q).allclose(eye(6), rtol: 0, atol: 1e-5));
        Assert.AreEqual(0f, Initializer.Get("zeros", "b").Draw([4], g).abs().sum().item<float>());
    }
}
