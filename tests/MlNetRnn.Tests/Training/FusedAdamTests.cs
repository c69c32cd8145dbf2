using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Training;

/// <summary>Adam's multi-tensor update (libtorch's fused kernel with ε rescaled) against the weight-by-weight Keras formula.</summary>
[TestClass]
public sealed class FusedAdamTests
{
    [TestMethod]
    public void FusedKernels_CompileOnThisLibtorch()
    {
        Assert.IsTrue(FusedKernels.Available);
    }

    [TestMethod]
    [DataRow(null, null)]
    [DataRow(0.05, null)]
    [DataRow(null, 0.02)]
    public void FusedUpdate_EqualsKerasFormula_InFloat64(double? clipnorm, double? clipvalue)
    {
        using var scope = NewDisposeScope();
        var (fusedWeights, fused) = Setup(perWeight: false, clipnorm, clipvalue);
        var (plainWeights, plain) = Setup(perWeight: true, clipnorm, clipvalue);
        var generator = new TorchSharp.torch.Generator(7);
        for (int step = 0; step < 25; step++)
        {
            // A learning-rate change mid-way, and weight 1 without a gradient on odd steps (it keeps its moments).
            if (step == 10) fused.LearningRate = plain.LearningRate = 0.003;
            for (int i = 0; i < fusedWeights.Length; i++)
            {
                if (i == 1 && step % 2 == 1) continue;
                var g = randn(fusedWeights[i].shape, dtype: ScalarType.Float64, generator: generator);
                fusedWeights[i].grad = g.clone();
                plainWeights[i].grad = g.clone();
            }
            fused.Step();
            plain.Step();
            for (int i = 0; i < fusedWeights.Length; i++)
            {
                double difference = (fusedWeights[i] - plainWeights[i]).abs().max().item<double>();
                Assert.IsLessThan(1e-14, difference, $"step {step}, weight {i}: fused and per-weight Adam differ by {difference}");
                Assert.AreEqual(0.0, fusedWeights[i].grad!.abs().sum().item<double>(), $"step {step}, weight {i}: gradient not cleared");
            }
        }
        Assert.AreEqual(25, fused.Iterations);
        // The weights moved (the comparison is not between two untouched copies).
        Assert.IsGreaterThan(1e-3, (fusedWeights[0] - Initial(0)).abs().max().item<double>());
    }

    [TestMethod]
    public void FusedUpdate_FirstStep_IsKerasNumbers()
    {
        // One step from m = v = 0 with g: m = 0.1g, v = 0.001g², α = lr·√0.001/0.1, so w −= α·0.1g/(√0.001·|g| + ε).
        using var scope = NewDisposeScope();
        var w = tensor(new[] { 1.0, -2.0, 0.5 }, dtype: ScalarType.Float64).requires_grad_(true);
        var adam = new Adam(learningRate: 0.01);
        adam.Build([w]);
        w.grad = tensor(new[] { 0.5, -4.0, 1e-6 }, dtype: ScalarType.Float64);
        adam.Step();
        double alpha = 0.01 * Math.Sqrt(0.001) / 0.1;
        double[] expected = [.. new[] { (1.0, 0.5), (-2.0, -4.0), (0.5, 1e-6) }
            .Select(p => p.Item1 - alpha * 0.1 * p.Item2 / (Math.Sqrt(0.001) * Math.Abs(p.Item2) + 1e-7))];
        var actual = w.detach().data<double>().ToArray();
        for (int i = 0; i < 3; i++) Assert.AreEqual(expected[i], actual[i], 1e-15, $"weight {i}");
    }

    private static Tensor Initial(int index) =>
        randn([4, 3], dtype: ScalarType.Float64, generator: new TorchSharp.torch.Generator((ulong)(index + 1)));

    private static (Tensor[] Weights, Adam Optimizer) Setup(bool perWeight, double? clipnorm, double? clipvalue)
    {
        Tensor[] weights = [Initial(0).requires_grad_(true), Initial(1)[0].clone().requires_grad_(true), Initial(2).requires_grad_(true)];
        var adam = new Adam(learningRate: 0.01, clipnorm: clipnorm, clipvalue: clipvalue) { PreferPerWeight = perWeight };
        adam.Build(weights);
        return (weights, adam);
    }
}
