using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>
/// libtorch's multi-tensor kernels that TorchSharp does not bind (<c>_fused_adam_</c>, <c>_foreach_zero_</c>), reached
/// through a small TorchScript unit compiled once per process. One call updates every weight in one pass over each
/// tensor, instead of six element-wise ops (and their temporaries) per weight.
/// </summary>
/// <remarks>When the script cannot be compiled (a libtorch build without these kernels), <see cref="Available"/> is
/// false and callers keep their per-tensor path.</remarks>
internal static class FusedKernels
{
    // PyTorch's fused Adam reads each weight's step count from a tensor; t is the same for every weight, so one
    // tensor serves them all. grads are left zero, so the optimizer needs no second pass.
    // (libtorch's TorchScript parser wants each statement on one line.)
    private const string Script = """
        def adam(params: List[Tensor], grads: List[Tensor], exp_avgs: List[Tensor], exp_avg_sqs: List[Tensor], step: float, lr: float, beta1: float, beta2: float, eps: float):
            steps = [torch.full([1], step)] * len(params)
            torch._fused_adam_(params, grads, exp_avgs, exp_avg_sqs, [], steps, lr=lr, beta1=beta1, beta2=beta2, weight_decay=0.0, eps=eps, amsgrad=False, maximize=False)
            torch._foreach_zero_(grads)

        def zero(tensors: List[Tensor]):
            torch._foreach_zero_(tensors)
        """;

    private static readonly Lazy<jit.CompilationUnit?> Unit = new(Compile, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Whether the kernels can be called in this process.</summary>
    public static bool Available => Unit.Value is not null;

    /// <summary>
    /// PyTorch's fused Adam over every weight, then the gradients zeroed. With t the 1-based step:
    /// m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; w ← w − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε).
    /// </summary>
    /// <param name="weights">Updated in place; all dense, contiguous, same dtype and device.</param>
    /// <param name="gradients">One per weight, shaped like it; zero afterwards.</param>
    /// <param name="m">First moments, one per weight.</param>
    /// <param name="v">Second moments, one per weight.</param>
    /// <param name="step">t, the 1-based step.</param>
    /// <param name="learningRate">lr.</param>
    /// <param name="beta1">β₁.</param>
    /// <param name="beta2">β₂.</param>
    /// <param name="epsilon">ε, in PyTorch's place (added to √v/√(1 − β₂ᵗ)).</param>
    public static void Adam(IReadOnlyList<Tensor> weights, IReadOnlyList<Tensor> gradients, IReadOnlyList<Tensor> m, IReadOnlyList<Tensor> v,
        long step, double learningRate, double beta1, double beta2, double epsilon)
    {
        Unit.Value!.invoke("adam", weights.ToArray(), gradients.ToArray(), m.ToArray(), v.ToArray(),
            (double)step, learningRate, beta1, beta2, epsilon);
    }

    /// <summary>Sets every tensor to zero in one call.</summary>
    public static void Zero(IReadOnlyList<Tensor> tensors) => Unit.Value!.invoke("zero", [tensors.ToArray()]);

    private static jit.CompilationUnit? Compile()
    {
        try
        {
            // The parser wants a newline after the last statement; a raw string literal ends without one.
            return jit.compile(Script + "\n");
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }
}
