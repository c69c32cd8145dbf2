using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Training;

/// <summary>The sparse cross-entropy picks the true class before clipping; this checks it against the former formula
/// (clip every probability, then pick) in values and gradients, at and beyond the clip.</summary>
[TestClass]
public sealed class LossFormulaTests
{
    [TestMethod]
    [DataRow(ScalarType.Float64)]
    [DataRow(ScalarType.Float32)]
    public void PickThenClip_EqualsClipThenPick_ValuesAndGradients(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        const double eps = SparseCategoricalCrossentropy.Epsilon;
        // True-class probabilities below, at and above the lower clip, ordinary, at and above the upper clip.
        double[] picked = [0.0, 1e-9, eps, 2e-7, 0.3, 1 - eps, 1 - 1e-9, 1.0];
        var rows = picked.Select((p, i) => new[] { p, (1 - p) / 2, (1 - p) / 2 }).ToArray();
        // Rotate the true class through the columns so every position is exercised.
        var classes = picked.Select((_, i) => (long)(i % 3)).ToArray();
        var values = rows.Select((r, i) => Rotate(r, (int)classes[i])).SelectMany(r => r).ToArray();
        var y = tensor(classes).reshape(2, 4);
        var mask = tensor(new[] { true, true, false, true, true, true, true, false }).reshape(2, 4);

        foreach (var m in new Tensor?[] { null, mask })
        {
            var p1 = tensor(values).to_type(dtype).reshape(2, 4, 3).requires_grad_(true);
            var p2 = tensor(values).to_type(dtype).reshape(2, 4, 3).requires_grad_(true);
            var current = new SparseCategoricalCrossentropy().Compute(y, p1, m);
            var former = Former(y, p2, m);
            current.backward();
            former.backward();
            Assert.AreEqual(former.to_type(ScalarType.Float64).item<double>(), current.to_type(ScalarType.Float64).item<double>(), 0.0, $"loss, mask {m is not null}");
            CollectionAssert.AreEqual(p2.grad!.to_type(ScalarType.Float64).data<double>().ToArray(),
                p1.grad!.to_type(ScalarType.Float64).data<double>().ToArray(), $"gradient, mask {m is not null}");
        }
    }

    [TestMethod]
    public void Gradient_IsZeroBeyondTheClip_AndMinusOneOverPInside_Float64()
    {
        using var scope = NewDisposeScope();
        const double eps = SparseCategoricalCrossentropy.Epsilon;
        var p = tensor(new[] { 1e-9, 0.5, 0.5, 0.25, 0.25, 0.5, 1.0, 0.0, 0.0 }, dtype: ScalarType.Float64).reshape(1, 3, 3).requires_grad_(true);
        var y = tensor(new long[] { 0, 2, 0 }).reshape(1, 3);
        var loss = new SparseCategoricalCrossentropy().Compute(y, p);
        loss.backward();
        // Mean of −log(clip(p)): 1e-9 → 1e-7 (no gradient), 0.5 → −1/(3·0.5), 1.0 → 1 − 1e-7 (no gradient).
        Assert.AreEqual((-Math.Log(eps) - Math.Log(0.5) - Math.Log(1 - eps)) / 3, loss.item<double>(), 1e-15);
        CollectionAssert.AreEqual(new[] { 0.0, 0, 0, 0, 0, -1 / (3 * 0.5), 0, 0, 0 }, p.grad!.data<double>().ToArray());
    }

    private static double[] Rotate(double[] row, int trueClass)
    {
        var rotated = new double[row.Length];
        for (int c = 0; c < row.Length; c++) rotated[(c + trueClass) % row.Length] = row[c];
        return rotated;
    }

    // The formula before the change: clip every probability, pick the true class, −log, Keras's masked mean.
    private static Tensor Former(Tensor y, Tensor p, Tensor? mask)
    {
        const double eps = SparseCategoricalCrossentropy.Epsilon;
        var losses = -p.clamp(eps, 1 - eps).gather(-1, y.unsqueeze(-1)).squeeze(-1).log();
        if (mask is null) return losses.mean();
        var w = mask.to_type(losses.dtype);
        return (losses * w).sum() / w.sum().clamp_min(1);
    }
}
