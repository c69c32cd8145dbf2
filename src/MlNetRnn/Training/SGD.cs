using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>
/// Keras SGD: without momentum w −= lr·g; with momentum μ, velocity u = μ·u − lr·g and
/// w += u (or, Nesterov, w += μ·u − lr·g).
/// </summary>
public sealed class SGD : Optimizer
{
    private Tensor[] _velocity = [];

    /// <param name="learningRate">Step size. Default 0.01.</param>
    /// <param name="momentum">Momentum μ in [0, 1). Default 0.</param>
    /// <param name="nesterov">Use Nesterov momentum. Default false.</param>
    /// <param name="clipnorm">Per-weight gradient norm limit (Keras). Default none.</param>
    /// <param name="clipvalue">Gradient value limit. Default none.</param>
    /// <param name="useEma">Keras <c>use_ema</c> (see <see cref="Optimizer.UseEma"/>). Default false.</param>
    /// <param name="emaMomentum">Keras <c>ema_momentum</c>. Default 0.99.</param>
    /// <param name="emaOverwriteFrequency">Keras <c>ema_overwrite_frequency</c>. Default null.</param>
    public SGD(double learningRate = 0.01, double momentum = 0, bool nesterov = false, double? clipnorm = null, double? clipvalue = null,
        bool useEma = false, double emaMomentum = 0.99, int? emaOverwriteFrequency = null)
        : base(learningRate, clipnorm, clipvalue, useEma, emaMomentum, emaOverwriteFrequency)
    {
        Momentum = Arguments.Fraction(momentum, nameof(momentum));
        Nesterov = nesterov;
    }

    public override string Name => "sgd";
    public double Momentum { get; }
    public bool Nesterov { get; }

    protected override void CreateSlots(IReadOnlyList<Tensor> parameters) => _velocity = Momentum == 0 ? [] : ZeroSlots(parameters);

    protected override void Update(int index, Tensor weight, Tensor gradient)
    {
        // Held to the end of the call: an implicit Scalar could be finalized while libtorch reads it (see Scalars).
        using var rate = LearningRate.ToScalar();
        if (Momentum == 0)
        {
            weight.sub_(gradient * rate);
            return;
        }
        using var momentum = Momentum.ToScalar();
        var u = _velocity[index];
        u.mul_(momentum).sub_(gradient * rate);
        weight.add_(Nesterov ? u * momentum - gradient * rate : u);
    }
}
