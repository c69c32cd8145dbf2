using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>
/// Keras RMSprop: v = ρ·v + (1 − ρ)·g²; centred, also a = ρ·a + (1 − ρ)·g and the denominator is
/// √(v − a² + ε), otherwise √(v + ε) (ε inside the root, as Keras); Δ = lr·g / denominator.
/// With momentum μ: m = μ·m + Δ and w −= m; otherwise w −= Δ.
/// </summary>
public sealed class RMSprop : Optimizer
{
    private Tensor[] _velocities = [];
    private Tensor[] _momentums = [];
    private Tensor[] _averageGradients = [];

    /// <param name="learningRate">Step size. Default 0.001.</param>
    /// <param name="rho">Decay of the squared-gradient average, in [0, 1). Default 0.9.</param>
    /// <param name="momentum">Momentum μ in [0, 1). Default 0.</param>
    /// <param name="epsilon">Added under the square root. Default 1e-7.</param>
    /// <param name="centered">Divide by the estimated variance instead of the second moment. Default false.</param>
    /// <param name="clipnorm">Per-weight gradient norm limit (Keras). Default none.</param>
    /// <param name="clipvalue">Gradient value limit. Default none.</param>
    /// <param name="useEma">Keras <c>use_ema</c> (see <see cref="Optimizer.UseEma"/>). Default false.</param>
    /// <param name="emaMomentum">Keras <c>ema_momentum</c>. Default 0.99.</param>
    /// <param name="emaOverwriteFrequency">Keras <c>ema_overwrite_frequency</c>. Default null.</param>
    public RMSprop(double learningRate = 0.001, double rho = 0.9, double momentum = 0, double epsilon = 1e-7, bool centered = false,
        double? clipnorm = null, double? clipvalue = null, bool useEma = false, double emaMomentum = 0.99, int? emaOverwriteFrequency = null)
        : base(learningRate, clipnorm, clipvalue, useEma, emaMomentum, emaOverwriteFrequency)
    {
        Rho = Arguments.Fraction(rho, nameof(rho));
        Momentum = Arguments.Fraction(momentum, nameof(momentum));
        Epsilon = Arguments.NonNegative(epsilon, nameof(epsilon));
        Centered = centered;
    }

    public override string Name => "rmsprop";
    public double Rho { get; }
    public double Momentum { get; }
    public double Epsilon { get; }
    public bool Centered { get; }

    protected override void CreateSlots(IReadOnlyList<Tensor> parameters)
    {
        _velocities = ZeroSlots(parameters);
        _momentums = Momentum > 0 ? ZeroSlots(parameters) : [];
        _averageGradients = Centered ? ZeroSlots(parameters) : [];
    }

    protected override void Update(int index, Tensor weight, Tensor gradient)
    {
        // Held to the end of the call: an implicit Scalar could be finalized while libtorch reads it (see Scalars).
        using var rho = Rho.ToScalar();
        using var oneMinusRho = (1 - Rho).ToScalar();
        using var epsilon = Epsilon.ToScalar();
        using var rate = LearningRate.ToScalar();
        var velocity = _velocities[index];
        velocity.mul_(rho).addcmul_(gradient, gradient, oneMinusRho);
        Tensor denominator;
        if (Centered)
        {
            var average = _averageGradients[index];
            average.mul_(rho).add_(gradient, oneMinusRho);
            denominator = (velocity - average.square()).add_(epsilon).sqrt_();
        }
        else
        {
            denominator = velocity.add(epsilon).sqrt_();
        }
        var increment = (gradient * rate).div_(denominator);
        if (Momentum > 0)
        {
            using var momentumRate = Momentum.ToScalar();
            var momentum = _momentums[index];
            momentum.mul_(momentumRate).add_(increment);
            weight.sub_(momentum);
        }
        else
        {
            weight.sub_(increment);
        }
    }
}
