using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>
/// Keras SGD: without momentum w −= lr·g; with momentum μ, velocity u = μ·u − lr·g and
/// w += u (or, Nesterov, w += μ·u − lr·g).
/// </summary>
public sealed class SGD : Optimizer
{
    private readonly List<Tensor> _velocity = [];

    /// <param name="learningRate">Step size. Default 0.01.</param>
    /// <param name="momentum">Momentum μ in [0, 1). Default 0.</param>
    /// <param name="nesterov">Use Nesterov momentum. Default false.</param>
    /// <param name="clipnorm">Per-weight gradient norm limit (Keras). Default none.</param>
    /// <param name="clipvalue">Gradient value limit. Default none.</param>
    public SGD(double learningRate = 0.01, double momentum = 0, bool nesterov = false, double? clipnorm = null, double? clipvalue = null)
        : base(learningRate, clipnorm, clipvalue)
    {
        if (momentum is < 0 or >= 1) throw new ArgumentException($"momentum must be in [0, 1); received {momentum}.", nameof(momentum));
        Momentum = momentum;
        Nesterov = nesterov;
    }

    public override string Name => "sgd";
    public double Momentum { get; }
    public bool Nesterov { get; }

    protected override void CreateSlots(IReadOnlyList<Tensor> parameters)
    {
        if (Momentum == 0) return;
        foreach (var p in parameters) _velocity.Add(zeros_like(p).DetachFromDisposeScope());
    }

    protected override void Update(int index, Tensor weight, Tensor gradient)
    {
        if (Momentum == 0)
        {
            weight.sub_(gradient * LearningRate);
            return;
        }
        var u = _velocity[index];
        u.mul_(Momentum).sub_(gradient * LearningRate);
        weight.add_(Nesterov ? u * Momentum - gradient * LearningRate : u);
    }

    protected override void DisposeSlots()
    {
        foreach (var t in _velocity) t.Dispose();
        _velocity.Clear();
    }
}
