using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>
/// Keras Adam. With t = iterations + 1 and α = lr·√(1−β₂ᵗ)/(1−β₁ᵗ):
/// m += (g − m)(1 − β₁); v += (g² − v)(1 − β₂); w −= α·m/(√v + ε).
/// (ε is added to √v after bias correction folded into α, which is where Keras differs from PyTorch.)
/// </summary>
public sealed class Adam : Optimizer
{
    private Tensor[] _m = [];
    private Tensor[] _v = [];
    private bool _fused;

    /// <param name="learningRate">Step size. Default 0.001.</param>
    /// <param name="beta1">Decay of the first moment. Default 0.9.</param>
    /// <param name="beta2">Decay of the second moment. Default 0.999.</param>
    /// <param name="epsilon">Added to √v. Default 1e-7 (Keras; PyTorch uses 1e-8).</param>
    /// <param name="clipnorm">Per-weight gradient norm limit (Keras). Default none.</param>
    /// <param name="clipvalue">Gradient value limit. Default none.</param>
    /// <param name="useEma">Keras <c>use_ema</c> (see <see cref="Optimizer.UseEma"/>). Default false.</param>
    /// <param name="emaMomentum">Keras <c>ema_momentum</c>. Default 0.99.</param>
    /// <param name="emaOverwriteFrequency">Keras <c>ema_overwrite_frequency</c>. Default null.</param>
    public Adam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7,
        double? clipnorm = null, double? clipvalue = null, bool useEma = false, double emaMomentum = 0.99, int? emaOverwriteFrequency = null)
        : base(learningRate, clipnorm, clipvalue, useEma, emaMomentum, emaOverwriteFrequency)
    {
        Beta1 = Arguments.Fraction(beta1, nameof(beta1));
        Beta2 = Arguments.Fraction(beta2, nameof(beta2));
        Epsilon = Arguments.NonNegative(epsilon, nameof(epsilon));
    }

    public override string Name => "adam";
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }

    protected override void CreateSlots(IReadOnlyList<Tensor> parameters)
    {
        _m = ZeroSlots(parameters);
        _v = ZeroSlots(parameters);
        // libtorch's fused kernel wants dense, contiguous tensors of one floating dtype on one device.
        _fused = FusedKernels.Available && parameters.Count > 0 &&
            parameters.All(p => p.is_floating_point() && p.is_contiguous() && !p.is_sparse &&
                                p.dtype == parameters[0].dtype && p.device_type == TorchSharp.DeviceType.CPU);
    }

    /// <summary>Every weight in one call of libtorch's fused Adam when it can run them (see <see cref="Adam"/>'s formula);
    /// otherwise weight by weight.</summary>
    protected override void Update(IReadOnlyList<int> indices, IReadOnlyList<Tensor> weights, IReadOnlyList<Tensor> gradients)
    {
        if (!_fused || PreferPerWeight || gradients.Any(g => !g.is_contiguous() || g.dtype != weights[0].dtype))
        {
            base.Update(indices, weights, gradients);
            return;
        }
        // PyTorch's formula w −= lr/(1 − β₁ᵗ) · m/(√v/√(1 − β₂ᵗ) + ε′) is Keras's w −= α·m/(√v + ε) with ε′ = ε/√(1 − β₂ᵗ).
        long t = Iterations + 1;
        double epsilon = Epsilon / Math.Sqrt(1 - Math.Pow(Beta2, t));
        var m = indices.Count == _m.Length ? _m : indices.Select(i => _m[i]).ToArray();
        var v = indices.Count == _v.Length ? _v : indices.Select(i => _v[i]).ToArray();
        FusedKernels.Adam(weights, gradients, m, v, t, LearningRate, Beta1, Beta2, epsilon);
    }

    protected override void Update(int index, Tensor weight, Tensor gradient)
    {
        double t = Iterations + 1;
        double alpha = LearningRate * Math.Sqrt(1 - Math.Pow(Beta2, t)) / (1 - Math.Pow(Beta1, t));
        var m = _m[index];
        var v = _v[index];
        // In place, with one temporary (√v + ε): m + (g − m)(1 − β₁) is lerp, v + (g² − v)(1 − β₂) = β₂v + (1 − β₂)g².
        // The eight temporaries of the plain formulas cost more than the arithmetic on large weights (embeddings).
        m.lerp_(gradient, 1 - Beta1);
        v.mul_(Beta2).addcmul_(gradient, gradient, 1 - Beta2);
        using var denominator = v.sqrt().add_(Epsilon);
        weight.addcdiv_(m, denominator, -alpha);
    }

    /// <summary>Forces the weight-by-weight update (tests compare it with the fused one).</summary>
    internal bool PreferPerWeight { get; set; }
}
