using MlNetRnn.Layers;

namespace MlNetRnn.Tests.Layers.Recurrent;

/// <summary>The managed pieces of a single sequence's recurrence in inference, against double-precision references.</summary>
[TestClass]
public sealed class SingleSequenceRecurrenceTests
{
    // Every float from −2⁵ to 2⁵ on a fine grid, the series/exponential boundary at 1/8 from both sides, tiny and huge
    // values, and a length that leaves a remainder after the vector lanes.
    [TestMethod]
    public void Tanh_IsWithinAFewUlpOfTheTrueValue()
    {
        var values = new List<float>();
        for (int i = -320_000; i <= 320_000; i++) values.Add(i * 1e-4f);
        foreach (float x in new[] { 0.125f, 0.12499999f, 0.12500001f, 1e-30f, 1e-8f, 3e-4f, 9f, 20f, 50f, 1e30f, float.MaxValue, 0f })
        {
            values.Add(x);
            values.Add(-x);
        }
        values.Add(0.7f);
        var computed = values.ToArray();
        SingleSequenceRecurrence.Tanh(computed);
        double worstRelative = 0, worstAbsolute = 0;
        float worstAt = 0;
        for (int i = 0; i < values.Count; i++)
        {
            double exact = Math.Tanh(values[i]);
            double error = Math.Abs(computed[i] - exact);
            worstAbsolute = Math.Max(worstAbsolute, error);
            if (exact != 0 && error / Math.Abs(exact) > worstRelative)
            {
                worstRelative = error / Math.Abs(exact);
                worstAt = values[i];
            }
            Assert.AreEqual(Math.Sign(exact), Math.Sign(computed[i]), $"sign at {values[i]}");
        }
        Console.WriteLine($"{values.Count} values: worst relative error {worstRelative:E2} (at {worstAt}), worst absolute {worstAbsolute:E2}");
        Assert.IsLessThan(4e-7, worstRelative);   // about 3 ulp of float
        Assert.IsLessThan(1.2e-7, worstAbsolute);
    }

    [TestMethod]
    public void Sigmoid_IsWithinAFewUlpOfTheTrueValue()
    {
        var values = new List<float>();
        for (int i = -1_000_000; i <= 1_000_000; i++) values.Add(i * 1e-4f);
        values.AddRange([1e-30f, -1e-30f, 200f, -200f, float.MaxValue, -float.MaxValue, 0.3f]);
        var computed = values.ToArray();
        SingleSequenceRecurrence.Sigmoid(computed);
        double worstRelative = 0;
        float worstAt = 0;
        for (int i = 0; i < values.Count; i++)
        {
            double exact = 1 / (1 + Math.Exp(-(double)values[i]));
            double error = Math.Abs(computed[i] - exact);
            if (exact < 1e-37)
            {
                // Below float's normal range (x < −85) the result may flush to zero, as libtorch's may.
                Assert.IsLessThan(1e-37, error, $"at {values[i]}");
                continue;
            }
            double relative = error / exact;
            if (relative > worstRelative)
            {
                worstRelative = relative;
                worstAt = values[i];
            }
        }
        Console.WriteLine($"{values.Count} values: worst relative error {worstRelative:E2} (at {worstAt})");
        Assert.IsLessThan(4e-7, worstRelative);
    }

    [TestMethod]
    public void Tanh_PassesNaNThrough()
    {
        float[] values = [float.NaN, 1f, float.NaN, -1f, 0f, 0f, 0f, 0f, float.NaN];
        SingleSequenceRecurrence.Tanh(values);
        Assert.IsTrue(float.IsNaN(values[0]) && float.IsNaN(values[2]) && float.IsNaN(values[8]));
        Assert.AreEqual(MathF.Tanh(1f), values[1], 1e-7f);
    }
}
