using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Tests.Numerics;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Models;

[TestClass]
public sealed class GradientCheckTests
{
    // Autograd against central differences, in float64, for every weight element of
    // SimpleRNN(6) → TimeDistributed(Dense(4, softmax)) on a (4, 7, 5) batch.
    [TestMethod]
    [DataRow("tanh")]     // libtorch's fused kernel
    [DataRow("sigmoid")]  // the stepwise cell
    public void AutogradMatchesFiniteDifferences(string activation) => Float64.Run(() =>
    {
        using var g = new Generator(42);
        var x = randn([4, 7, 5], generator: g);
        var y = randint(0, 4, [4, 7], generator: g);
        using var model = new Sequential(seed: 7);
        model.Add(new SimpleRNN(6, activation: activation, returnSequences: true, biasInitializer: "uniform", inputShape: [7, 5]));
        model.Add(new TimeDistributed(new Dense(4, activation: "softmax", biasInitializer: "uniform")));
        model.Compile(loss: "sparse_categorical_crossentropy", optimizer: "sgd");

        var (checkedCount, _) = FiniteDifferences.AssertGradientsMatch(
            () => model.Loss!.Compute(y, model.Forward([x]).Outputs[0]),
            model.NamedWeights.Select(w => (w.Path, w.Weight.Variable)));
        // kernel 30 + recurrent_kernel 36 + bias 6 + dense kernel 24 + bias 4
        Assert.AreEqual(100, checkedCount);
    });
}
