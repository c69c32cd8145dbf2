using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>
/// Keras Adam. With t = iterations + 1 and α = lr·√(1−β₂ᵗ)/(1−β₁ᵗ):
/// m += (g − m)(1 − β₁); v += (g² − v)(1 − β₂); w −= α·m/(√v + ε).
/// (ε is added to √v after bias correction folded into α, which is where Keras differs from PyTorch.)
/// </summary>
public sealed class Adam : Optimizer
{
    private readonly List<Tensor> _m = [];
    private readonly List<Tensor> _v = [];

    /// <param name="learningRate">Step size. Default 0.001.</param>
    /// <param name="beta1">Decay of the first moment. Default 0.9.</param>
    /// <param name="beta2">Decay of the second moment. Default 0.999.</param>
    /// <param name="epsilon">Added to √v. Default 1e-7 (Keras; PyTorch uses 1e-8).</param>
    /// <param name="clipnorm">Per-weight gradient norm limit (Keras). Default none.</param>
    /// <param name="clipvalue">Gradient value limit. Default none.</param>
    public Adam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7,
        double? clipnorm = null, double? clipvalue = null)
        : base(learningRate, clipnorm, clipvalue)
    {
        if (beta1 is < 0 or >= 1) throw new ArgumentException($"beta1 must be in [0, 1); received {beta1}.", nameof(beta1));
        if (beta2 is < 0 or >= 1) throw new ArgumentException($"beta2 must be in [0, 1); received {beta2}.", nameof(beta2));
        if (!(epsilon >= 0)) throw new ArgumentException($"epsilon must be ≥ 0; received {epsilon}.", nameof(epsilon));
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    public override string Name => "adam";
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }

    protected override void CreateSlots(IReadOnlyList<Tensor> parameters)
    {
        foreach (var p in parameters)
        {
            _m.Add(zeros_like(p).DetachFromDisposeScope());
            _v.Add(zeros_like(p).DetachFromDisposeScope());
        }
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

    protected override void DisposeSlots()
    {
        foreach (var t in _m.Concat(_v)) t.Dispose();
        _m.Clear();
        _v.Clear();
    }
}
