using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>
/// Keras RMSprop: v = ρ·v + (1 − ρ)·g²; centred, also a = ρ·a + (1 − ρ)·g and the denominator is
/// √(v − a² + ε), otherwise √(v + ε) (ε inside the root, as Keras); Δ = lr·g / denominator.
/// With momentum μ: m = μ·m + Δ and w −= m; otherwise w −= Δ.
/// </summary>
public sealed class RMSprop : Optimizer
{
    private readonly List<Tensor> _velocities = [];
    private readonly List<Tensor> _momentums = [];
    private readonly List<Tensor> _averageGradients = [];

    /// <param name="learningRate">Step size. Default 0.001.</param>
    /// <param name="rho">Decay of the squared-gradient average, in [0, 1). Default 0.9.</param>
    /// <param name="momentum">Momentum μ in [0, 1). Default 0.</param>
    /// <param name="epsilon">Added under the square root. Default 1e-7.</param>
    /// <param name="centered">Divide by the estimated variance instead of the second moment. Default false.</param>
    /// <param name="clipnorm">Per-weight gradient norm limit (Keras). Default none.</param>
    /// <param name="clipvalue">Gradient value limit. Default none.</param>
    public RMSprop(double learningRate = 0.001, double rho = 0.9, double momentum = 0, double epsilon = 1e-7, bool centered = false,
        double? clipnorm = null, double? clipvalue = null)
        : base(learningRate, clipnorm, clipvalue)
    {
        if (rho is < 0 or >= 1) throw new ArgumentException($"rho must be in [0, 1); received {rho}.", nameof(rho));
        if (momentum is < 0 or >= 1) throw new ArgumentException($"momentum must be in [0, 1); received {momentum}.", nameof(momentum));
        if (!(epsilon >= 0)) throw new ArgumentException($"epsilon must be ≥ 0; received {epsilon}.", nameof(epsilon));
        Rho = rho;
        Momentum = momentum;
        Epsilon = epsilon;
        Centered = centered;
    }

    public override string Name => "rmsprop";
    public double Rho { get; }
    public double Momentum { get; }
    public double Epsilon { get; }
    public bool Centered { get; }

    protected override void CreateSlots(IReadOnlyList<Tensor> parameters)
    {
        foreach (var p in parameters)
        {
            _velocities.Add(zeros_like(p).DetachFromDisposeScope());
            if (Momentum > 0) _momentums.Add(zeros_like(p).DetachFromDisposeScope());
            if (Centered) _averageGradients.Add(zeros_like(p).DetachFromDisposeScope());
        }
    }

    protected override void Update(int index, Tensor weight, Tensor gradient)
    {
        var velocity = _velocities[index];
        velocity.mul_(Rho).addcmul_(gradient, gradient, 1 - Rho);
        Tensor denominator;
        if (Centered)
        {
            var average = _averageGradients[index];
            average.mul_(Rho).add_(gradient, 1 - Rho);
            denominator = (velocity - average.square()).add_(Epsilon).sqrt_();
        }
        else
        {
            denominator = velocity.add(Epsilon).sqrt_();
        }
        var increment = (gradient * LearningRate).div_(denominator);
        if (Momentum > 0)
        {
            var momentum = _momentums[index];
            momentum.mul_(Momentum).add_(increment);
            weight.sub_(momentum);
        }
        else
        {
            weight.sub_(increment);
        }
    }

    protected override void DisposeSlots()
    {
        foreach (var t in _velocities.Concat(_momentums).Concat(_averageGradients)) t.Dispose();
        _velocities.Clear();
        _momentums.Clear();
        _averageGradients.Clear();
    }
}
