using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// The recurrence of a single sequence (batch 1) in inference, stepped in managed code over libtorch's memory: the
/// Elman recurrence (SimpleRNN), the LSTM's and the GRU's.
/// </summary>
/// <remarks>
/// At batch 1 libtorch's kernels pay per step for several ATen ops on one row, mostly dispatch: about 5.7 µs a step
/// for the RNN kernel (128 units), 14 µs for the LSTM's (150 units), and about 66 µs for the GRU's step loop (150
/// units, a dozen ops). Here a step is one matrix-vector product (two for a GRU without <c>resetAfter</c>) and the
/// activations on the row: about 1 µs for a SimpleRNN of 128 units, 6.5 µs for an LSTM of 150 (reading its 360 KB
/// recurrent weight bounds it). The input projection of every step stays one libtorch matrix product. It serves a <c>PredictionEngine</c>'s one sentence (W3 and the EWT tagger in
/// <c>docs/benchmarks.md</c>). It records no gradient, so it runs only where libtorch would not record one either; the
/// last bits differ from libtorch's kernels (another summation order, tanh and sigmoid), as they differ between
/// libtorch's own kernels.
/// </remarks>
internal static class SingleSequenceRecurrence
{
    /// <summary>Whether <paramref name="inputs"/> (batch, time, features) takes this path: one float32 row on the CPU,
    /// with gradient recording off.</summary>
    internal static bool Applies(Tensor inputs) =>
        inputs.shape[0] == 1 && inputs.shape[1] > 0 && inputs.dtype == ScalarType.Float32 && inputs.device_type == TorchSharp.DeviceType.CPU
        && !is_grad_enabled();

    /// <summary>x_t·kernel + bias for every step of the one row, in one libtorch product.</summary>
    /// <param name="inputs">(1, time, features).</param>
    /// <param name="kernel">(features, gates·units): Keras's layout (a transposed view of libtorch's serves).</param>
    /// <param name="bias">(gates·units) or null.</param>
    /// <returns>(time, gates·units), contiguous.</returns>
    internal static Tensor ProjectInputs(Tensor inputs, Tensor kernel, Tensor? bias) =>
        bias is null ? inputs[0].matmul(kernel) : addmm(bias, inputs[0], kernel, beta: 1, alpha: 1);

    /// <summary>h_t = activation(z_t + W_hh·h_{t−1}), h_0 = 0, written over z.</summary>
    /// <param name="projected">(time, units), contiguous float32: x_t·kernel + bias at each step; holds h_t on return.</param>
    /// <param name="recurrentWeight">(units, units), contiguous float32, in libtorch's layout (row j: the weights into
    /// unit j, i.e. Keras's recurrent_kernel transposed), so that each unit is one contiguous dot product.</param>
    /// <param name="relu">relu instead of tanh.</param>
    // Fully optimized from the first call: tier-0 code of vector loops is many times slower, and a PredictionEngine's
    // first calls are the ones a user times.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Elman(Tensor projected, Tensor recurrentWeight, bool relu)
    {
        var steps = Floats(projected);
        var weights = Floats(recurrentWeight);
        int units = (int)recurrentWeight.shape[0];
        for (int start = 0; start < steps.Length; start += units)
        {
            var h = steps.Slice(start, units);
            if (start > 0)
            {
                AddProducts(weights, steps.Slice(start - units, units), h);
            }
            if (relu)
            {
                for (int j = 0; j < h.Length; j++) h[j] = Math.Max(h[j], 0f);
            }
            else
            {
                Tanh(h);
            }
        }
    }

    /// <summary>The LSTM with tanh and sigmoid, gates [i f g o]: z = z_t + W_hh·h_{t−1}, c_t = σ(z_f)·c_{t−1} + σ(z_i)·tanh(z_g),
    /// h_t = σ(z_o)·tanh(c_t), with h_0 = c_0 = 0.</summary>
    /// <param name="projected">(time, 4·units), contiguous float32: x_t·kernel + bias at each step; overwritten.</param>
    /// <param name="recurrentWeight">(4·units, units), contiguous float32, in libtorch's layout (Keras's recurrent_kernel
    /// transposed).</param>
    /// <param name="outputs">(time, units), contiguous float32: receives h_t.</param>
    /// <param name="carry">(units), contiguous float32, zero on entry: receives the last c_t.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Lstm(Tensor projected, Tensor recurrentWeight, Tensor outputs, Tensor carry)
    {
        var steps = Floats(projected);
        var weights = Floats(recurrentWeight);
        var hidden = Floats(outputs);
        var c = Floats(carry);
        int units = c.Length;
        for (int t = 0; t * units < hidden.Length; t++)
        {
            var z = steps.Slice(t * 4 * units, 4 * units);
            if (t > 0)
            {
                AddProducts(weights, hidden.Slice((t - 1) * units, units), z);
            }
            Sigmoid(z[..(2 * units)]);
            Tanh(z.Slice(2 * units, units));
            Sigmoid(z[(3 * units)..]);
            var h = hidden.Slice(t * units, units);
            for (int j = 0; j < units; j++)
            {
                c[j] = z[units + j] * c[j] + z[j] * z[2 * units + j];
                h[j] = c[j];
            }
            Tanh(h);
            for (int j = 0; j < units; j++)
            {
                h[j] *= z[3 * units + j];
            }
        }
    }

    /// <summary>Keras's GRU with tanh and sigmoid, gates [z r h], h_0 = 0. With <paramref name="resetAfter"/>:
    /// u = h_{t−1}·U + b_r, z = σ(x_z + u_z), r = σ(x_r + u_r), h̃ = tanh(x_h + r·u_h); without:
    /// z, r as before from h_{t−1}·U_{zr} (no recurrent bias), h̃ = tanh(x_h + (r·h_{t−1})·U_h). Then
    /// h_t = z·h_{t−1} + (1 − z)·h̃.</summary>
    /// <param name="projected">(time, 3·units), contiguous float32: x_t·kernel + input bias at each step; overwritten.</param>
    /// <param name="recurrentKernel">(units, 3·units), contiguous float32, Keras's layout (row i: the weights from unit i).</param>
    /// <param name="recurrentBias">(3·units), contiguous float32, or null (no bias, or not <paramref name="resetAfter"/>).</param>
    /// <param name="outputs">(time, units), contiguous float32: receives h_t.</param>
    /// <param name="resetAfter">Keras's <c>reset_after</c>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Gru(Tensor projected, Tensor recurrentKernel, Tensor? recurrentBias, Tensor outputs, bool resetAfter)
    {
        var steps = Floats(projected);
        var weights = Floats(recurrentKernel);
        ReadOnlySpan<float> bias = recurrentBias is null ? default : Floats(recurrentBias);
        var hidden = Floats(outputs);
        int units = (int)recurrentKernel.shape[0], width = 3 * units;
        var recurrent = new float[width];
        var zero = new float[units];
        for (int t = 0; t * units < hidden.Length; t++)
        {
            var x = steps.Slice(t * width, width);
            ReadOnlySpan<float> previous = t == 0 ? zero : hidden.Slice((t - 1) * units, units);
            var h = hidden.Slice(t * units, units);
            var u = recurrent.AsSpan();
            if (bias.IsEmpty) u.Clear(); else bias.CopyTo(u);
            // u_zr (and u_h with resetAfter) = h_{t−1}·U (+ b_r).
            AddTransposedProducts(weights, width, 0, previous, resetAfter ? u : u[..(2 * units)]);
            for (int j = 0; j < 2 * units; j++) x[j] += u[j];
            Sigmoid(x[..(2 * units)]);
            var z = x[..units];
            var r = x.Slice(units, units);
            var candidate = x.Slice(2 * units, units);
            if (resetAfter)
            {
                for (int j = 0; j < units; j++) candidate[j] += r[j] * u[2 * units + j];
            }
            else
            {
                // h doubles as scratch for r·h_{t−1} before it receives h_t.
                for (int j = 0; j < units; j++) h[j] = r[j] * previous[j];
                AddTransposedProducts(weights, width, 2 * units, h, candidate);
            }
            Tanh(candidate);
            for (int j = 0; j < units; j++)
            {
                h[j] = z[j] * previous[j] + (1 - z[j]) * candidate[j];
            }
        }
    }

    // A contiguous float32 CPU tensor's memory (TorchSharp checks contiguity).
    private static Span<float> Floats(Tensor tensor) => MemoryMarshal.Cast<byte, float>(tensor.bytes);

    /// <summary>z += W·h for W (z.Length, h.Length) row-major. Four rows at a time share each load of h, and each row's
    /// products gather in vector lanes summed once at the end: a dot product per row (<c>TensorPrimitives.Dot</c>) paid
    /// a call and a horizontal sum for every unit, 25 ns each for 128 units.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddProducts(ReadOnlySpan<float> weights, ReadOnlySpan<float> h, Span<float> z)
    {
        int columns = h.Length, rows = z.Length;
        int vectorized = columns - columns % Vector<float>.Count;
        var hVectors = MemoryMarshal.Cast<float, Vector<float>>(h[..vectorized]);
        int j = 0;
        for (; j + 4 <= rows; j += 4)
        {
            var row0 = MemoryMarshal.Cast<float, Vector<float>>(weights.Slice(j * columns, vectorized));
            var row1 = MemoryMarshal.Cast<float, Vector<float>>(weights.Slice((j + 1) * columns, vectorized));
            var row2 = MemoryMarshal.Cast<float, Vector<float>>(weights.Slice((j + 2) * columns, vectorized));
            var row3 = MemoryMarshal.Cast<float, Vector<float>>(weights.Slice((j + 3) * columns, vectorized));
            Vector<float> sum0 = default, sum1 = default, sum2 = default, sum3 = default;
            for (int k = 0; k < hVectors.Length; k++)
            {
                var hk = hVectors[k];
                sum0 = Vector.FusedMultiplyAdd(row0[k], hk, sum0);
                sum1 = Vector.FusedMultiplyAdd(row1[k], hk, sum1);
                sum2 = Vector.FusedMultiplyAdd(row2[k], hk, sum2);
                sum3 = Vector.FusedMultiplyAdd(row3[k], hk, sum3);
            }
            float s0 = Vector.Sum(sum0), s1 = Vector.Sum(sum1), s2 = Vector.Sum(sum2), s3 = Vector.Sum(sum3);
            for (int k = vectorized; k < columns; k++)
            {
                s0 += weights[j * columns + k] * h[k];
                s1 += weights[(j + 1) * columns + k] * h[k];
                s2 += weights[(j + 2) * columns + k] * h[k];
                s3 += weights[(j + 3) * columns + k] * h[k];
            }
            z[j] += s0;
            z[j + 1] += s1;
            z[j + 2] += s2;
            z[j + 3] += s3;
        }
        for (; j < rows; j++)
        {
            float sum = 0;
            for (int k = 0; k < columns; k++) sum += weights[j * columns + k] * h[k];
            z[j] += sum;
        }
    }

    /// <summary>z += h·W[:, offset … offset + z.Length) for W (h.Length rows of <paramref name="rowStride"/>) row-major, in
    /// Keras's layout: each row of W is a run of z's lanes, scaled by one h value. Four rows at a time share each load
    /// and store of z.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddTransposedProducts(ReadOnlySpan<float> weights, int rowStride, int offset, ReadOnlySpan<float> h, Span<float> z)
    {
        int width = z.Length;
        int vectorized = width - width % Vector<float>.Count;
        var zVectors = MemoryMarshal.Cast<float, Vector<float>>(z[..vectorized]);
        int i = 0;
        for (; i + 4 <= h.Length; i += 4)
        {
            var row0 = weights.Slice(i * rowStride + offset, width);
            var row1 = weights.Slice((i + 1) * rowStride + offset, width);
            var row2 = weights.Slice((i + 2) * rowStride + offset, width);
            var row3 = weights.Slice((i + 3) * rowStride + offset, width);
            var v0 = MemoryMarshal.Cast<float, Vector<float>>(row0[..vectorized]);
            var v1 = MemoryMarshal.Cast<float, Vector<float>>(row1[..vectorized]);
            var v2 = MemoryMarshal.Cast<float, Vector<float>>(row2[..vectorized]);
            var v3 = MemoryMarshal.Cast<float, Vector<float>>(row3[..vectorized]);
            var h0 = new Vector<float>(h[i]);
            var h1 = new Vector<float>(h[i + 1]);
            var h2 = new Vector<float>(h[i + 2]);
            var h3 = new Vector<float>(h[i + 3]);
            for (int k = 0; k < zVectors.Length; k++)
            {
                zVectors[k] = Vector.FusedMultiplyAdd(v3[k], h3, Vector.FusedMultiplyAdd(v2[k], h2,
                    Vector.FusedMultiplyAdd(v1[k], h1, Vector.FusedMultiplyAdd(v0[k], h0, zVectors[k]))));
            }
            for (int c = vectorized; c < width; c++)
            {
                z[c] += row0[c] * h[i] + row1[c] * h[i + 1] + row2[c] * h[i + 2] + row3[c] * h[i + 3];
            }
        }
        for (; i < h.Length; i++)
        {
            var row = weights.Slice(i * rowStride + offset, width);
            for (int c = 0; c < width; c++) z[c] += row[c] * h[i];
        }
    }

    /// <summary>The logistic sigmoid 1/(1 + exp(−x)) in place, in vector lanes (no cancellation: exp(−x) ≥ 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Sigmoid(Span<float> values)
    {
        int vectorized = values.Length - values.Length % Vector<float>.Count;
        var lanes = MemoryMarshal.Cast<float, Vector<float>>(values[..vectorized]);
        for (int k = 0; k < lanes.Length; k++)
        {
            lanes[k] = Vector<float>.One / (Vector<float>.One + Vector.Exp(-lanes[k]));
        }
        for (int j = vectorized; j < values.Length; j++)
        {
            values[j] = 1f / (1f + MathF.Exp(-values[j]));
        }
    }

    /// <summary>tanh in place, in vector lanes (the remainder through <see cref="MathF.Tanh"/>). Everything here is
    /// the runtime's own vector code, compiled optimized on first use: <c>TensorPrimitives.Tanh</c> is as fast once
    /// tiered up, but it runs as unoptimized code through a PredictionEngine's first thousands of calls (measured: a
    /// 20-token W3 call took 130 µs for over a second, then 61 µs), and <see cref="MathF.Tanh"/> one value at a time
    /// costs about 40 µs per W3 call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tanh(Span<float> values)
    {
        int vectorized = values.Length - values.Length % Vector<float>.Count;
        var lanes = MemoryMarshal.Cast<float, Vector<float>>(values[..vectorized]);
        for (int k = 0; k < lanes.Length; k++)
        {
            lanes[k] = Tanh(lanes[k]);
        }
        for (int j = vectorized; j < values.Length; j++)
        {
            values[j] = MathF.Tanh(values[j]);
        }
    }

    // For |x| ≥ 1/4, tanh |x| = (1 − e)/(1 + e) with e = exp(−2|x|), where the cancellation in 1 − e costs at most about
    // one bit; below, the Taylor series to x¹¹ (truncation below 1e-9 relative). The sign is put back last.
    private static Vector<float> Tanh(Vector<float> x)
    {
        var a = Vector.Abs(x);
        var e = Vector.Exp(a * new Vector<float>(-2f));
        var large = (Vector<float>.One - e) / (Vector<float>.One + e);
        var a2 = a * a;
        var small = a * (Vector<float>.One + a2 * (new Vector<float>(-1f / 3) + a2 * (new Vector<float>(2f / 15)
            + a2 * (new Vector<float>(-17f / 315) + a2 * (new Vector<float>(62f / 2835) + a2 * new Vector<float>(-1382f / 155925))))));
        var magnitude = Vector.ConditionalSelect(Vector.LessThan(a, new Vector<float>(0.25f)), small, large);
        return Vector.ConditionalSelect(Vector.LessThan(x, Vector<float>.Zero), -magnitude, magnitude);
    }
}
