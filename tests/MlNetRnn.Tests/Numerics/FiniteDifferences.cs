using static TorchSharp.torch;

namespace MlNetRnn.Tests.Numerics;

/// <summary>Autograd against central finite differences, in float64: the one loop every gradient check runs.</summary>
internal static class FiniteDifferences
{
    private const double Step = 1e-6;

    /// <summary>
    /// Back-propagates <paramref name="loss"/> once, then for every element of every tensor compares the gradient with
    /// (loss(x + h) − loss(x − h)) / 2h, h = 1e-6, within 1e-7 + 1e-5·|numeric|; the message names the tensor and the
    /// element. Returns how many elements were checked and the largest |analytic − numeric|.
    /// </summary>
    /// <param name="loss">Computes the scalar loss from the current values (called with and without autograd).</param>
    /// <param name="tensors">The float64 leaves to check, by name, e.g. a layer's weight variables and its inputs.</param>
    public static (int Count, double MaxError) AssertGradientsMatch(Func<Tensor> loss, IEnumerable<(string Name, Tensor Variable)> tensors)
    {
        loss().backward();
        double Value()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return loss().item<double>();
        }

        int count = 0;
        double maxError = 0;
        foreach (var (name, variable) in tensors)
        {
            Assert.AreEqual(ScalarType.Float64, variable.dtype, name);
            var analytic = variable.grad!.flatten().data<double>().ToArray();
            var flat = variable.detach().view(-1);
            for (int i = 0; i < analytic.Length; i++)
            {
                double original = flat[i].item<double>();
                using (no_grad()) flat[i].fill_(original + Step);
                double plus = Value();
                using (no_grad()) flat[i].fill_(original - Step);
                double minus = Value();
                using (no_grad()) flat[i].fill_(original);
                double numeric = (plus - minus) / (2 * Step);
                Assert.AreEqual(numeric, analytic[i], 1e-7 + 1e-5 * Math.Abs(numeric), $"{name}[{i}]");
                maxError = Math.Max(maxError, Math.Abs(numeric - analytic[i]));
                count++;
            }
        }
        return (count, maxError);
    }
}
