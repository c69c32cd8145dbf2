using static TorchSharp.torch;

namespace MlNetRnn.Tests.Layers.Recurrent;

/// <summary>
/// Keras's recurrent equations and loop written out plainly (weights in Keras layout), independent of the library:
/// the reference the layers are checked against.
/// </summary>
internal static class KerasReference
{
    /// <summary>One step: (x_t, states) → (output, next states).</summary>
    public delegate (Tensor Output, Tensor[] States) Step(Tensor x, Tensor[] states);

    public static Step SimpleRnn(Tensor kernel, Tensor recurrentKernel, Tensor bias) =>
        (x, s) =>
        {
            var h = (x.matmul(kernel) + s[0].matmul(recurrentKernel) + bias).tanh();
            return (h, [h]);
        };

    public static Step Lstm(Tensor kernel, Tensor recurrentKernel, Tensor bias) =>
        (x, s) =>
        {
            long u = recurrentKernel.shape[0];
            var z = x.matmul(kernel) + s[0].matmul(recurrentKernel) + bias;
            var i = z[.., ..(int)u].sigmoid();
            var f = z[.., (int)u..(int)(2 * u)].sigmoid();
            var c = f * s[1] + i * z[.., (int)(2 * u)..(int)(3 * u)].tanh();
            var o = z[.., (int)(3 * u)..].sigmoid();
            var h = o * c.tanh();
            return (h, [h, c]);
        };

    /// <summary>GRU with reset_after (bias (2, 3u)) or without (bias (3u)).</summary>
    public static Step Gru(Tensor kernel, Tensor recurrentKernel, Tensor bias, bool resetAfter) =>
        (x, s) =>
        {
            var h = s[0];
            int u = (int)recurrentKernel.shape[0];
            var inputBias = resetAfter ? bias[0] : bias;
            var xz = x.matmul(kernel[.., ..u]) + inputBias[..u];
            var xr = x.matmul(kernel[.., u..(2 * u)]) + inputBias[u..(2 * u)];
            var xh = x.matmul(kernel[.., (2 * u)..]) + inputBias[(2 * u)..];
            var rz = h.matmul(recurrentKernel[.., ..u]);
            var rr = h.matmul(recurrentKernel[.., u..(2 * u)]);
            if (resetAfter)
            {
                rz = rz + bias[1][..u];
                rr = rr + bias[1][u..(2 * u)];
            }
            var z = (xz + rz).sigmoid();
            var r = (xr + rr).sigmoid();
            var candidate = resetAfter
                ? (xh + r * (h.matmul(recurrentKernel[.., (2 * u)..]) + bias[1][(2 * u)..])).tanh()
                : (xh + (r * h).matmul(recurrentKernel[.., (2 * u)..])).tanh();
            var next = z * h + (1 - z) * candidate;
            return (next, [next]);
        };

    /// <summary>Keras's <c>backend.rnn</c> loop: returns every output (batch, time, units) and the final states.</summary>
    public static (Tensor Sequence, Tensor[] States) Run(Step step, Tensor x, Tensor? mask, int units, int stateCount,
        bool goBackwards = false, bool zeroOutputForMask = false)
    {
        if (goBackwards)
        {
            x = x.flip(1);
            mask = mask?.flip(1);
        }
        long batch = x.shape[0];
        var states = Enumerable.Range(0, stateCount).Select(_ => zeros(batch, units, dtype: x.dtype)).ToArray();
        var previous = zeros(batch, units, dtype: x.dtype);
        var outputs = new List<Tensor>();
        for (int t = 0; t < x.shape[1]; t++)
        {
            var (output, next) = step(x[.., t], states);
            if (mask is not null)
            {
                var m = mask[.., t].unsqueeze(1);
                next = next.Zip(states, (n, s) => where(m, n, s)).ToArray();
                output = where(m, output, zeroOutputForMask ? zeros_like(output) : previous);
            }
            states = next;
            previous = output;
            outputs.Add(output);
        }
        return (stack(outputs, 1), states);
    }
}
