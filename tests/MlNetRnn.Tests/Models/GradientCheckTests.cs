using MlNetRnn.Layers;
using MlNetRnn.Models;
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
    public void AutogradMatchesFiniteDifferences(string activation)
    {
        var previous = get_default_dtype();
        set_default_dtype(ScalarType.Float64);
        try
        {
            using var scope = NewDisposeScope();
            using var g = new Generator(42);
            var x = randn([4, 7, 5], generator: g);
            var y = randint(0, 4, [4, 7], generator: g);
            using var model = new Sequential(seed: 7);
            model.Add(new SimpleRNN(6, activation: activation, returnSequences: true, biasInitializer: "uniform", inputShape: [7, 5]));
            model.Add(new TimeDistributed(new Dense(4, activation: "softmax", biasInitializer: "uniform")));
            model.Compile(loss: "sparse_categorical_crossentropy", optimizer: "sgd");

            double Loss()
            {
                using var inner = NewDisposeScope();
                return model.Loss!.Compute(y, model.Forward([x]).Outputs[0]).item<double>();
            }

            var lossTensor = model.Loss!.Compute(y, model.Forward([x]).Outputs[0]);
            lossTensor.backward();
            int checkedCount = 0;
            foreach (var (path, weight) in model.NamedWeights)
            {
                var variable = weight.Variable;
                Assert.AreEqual(ScalarType.Float64, variable.dtype, path);
                var analytic = variable.grad!.flatten().data<double>().ToArray();
                var flat = variable.detach().view(-1);
                const double h = 1e-6;
                for (int i = 0; i < analytic.Length; i++)
                {
                    double original = flat[i].item<double>();
                    using (no_grad()) flat[i].fill_(original + h);
                    double plus = Loss();
                    using (no_grad()) flat[i].fill_(original - h);
                    double minus = Loss();
                    using (no_grad()) flat[i].fill_(original);
                    double numeric = (plus - minus) / (2 * h);
                    Assert.AreEqual(numeric, analytic[i], 1e-7 + 1e-5 * Math.Abs(numeric), $"{path}[{i}]");
                    checkedCount++;
                }
            }
            // kernel 30 + recurrent_kernel 36 + bias 6 + dense kernel 24 + bias 4
            Assert.AreEqual(100, checkedCount);
        }
        finally
        {
            set_default_dtype(previous);
        }
    }
}
