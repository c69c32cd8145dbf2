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
    public RMSprop(double learningRate = 0.001, double rho = 0.9, double momentum = 0, double epsilon = 1e-7, bool centered = false,
        double? clipnorm = null, double? clipvalue = null)
        : base(learningRate, clipnorm, clipvalue)
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
}
