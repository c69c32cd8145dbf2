using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Training;

// Keras's exponential moving average of the weights (use_ema, ema_momentum, ema_overwrite_frequency). After each step's
// updates, with momentum μ = ema_momentum except 0 on the first step (iterations = 0, so the average starts at the
// weights): average = μ·average + (1 − μ)·weight; then, when (iterations + 1) is a multiple of ema_overwrite_frequency,
// the weights take the average. FinalizeVariableValues puts the average in the weights (Keras calls it when fit ends).
// EmaWarmup (not in Keras, off by default) caps μ at step t by (1 + t)/(10 + t), as TensorFlow's
// ExponentialMovingAverage(num_updates) does, so that with few steps the average follows the recent weights.
public abstract partial class Optimizer
{
    private Tensor[]? _movingAverages;

    /// <summary>Whether the optimizer keeps an exponential moving average of the weights (Keras <c>use_ema</c>).</summary>
    public bool UseEma { get; private set; }

    /// <summary>Weight of the old average at each step (Keras <c>ema_momentum</c>), in [0, 1].</summary>
    public double EmaMomentum { get; private set; }

    /// <summary>Every this many steps the weights are overwritten by their average (Keras
    /// <c>ema_overwrite_frequency</c>); null for never.</summary>
    public int? EmaOverwriteFrequency { get; private set; }

    /// <summary>Whether the momentum warms up: at step t (0-based, <see cref="Iterations"/> before the step) it is
    /// min(<see cref="EmaMomentum"/>, (1 + t)/(10 + t)), as in TensorFlow's <c>ExponentialMovingAverage</c> given
    /// <c>num_updates</c>, so that after a few hundred steps the average spans only the most recent ones (μ = 0.99 is
    /// reached at step 890). Not part of Keras's <c>use_ema</c>; default false (Keras's behaviour: μ from the second
    /// step on). The first step's momentum is 0 either way, so the average starts at the weights.</summary>
    public bool EmaWarmup { get; init; }

    /// <summary>The moving average of each weight (in <see cref="Build"/>'s order), or null without
    /// <see cref="UseEma"/> or before <see cref="Build"/>. The optimizer owns these tensors.</summary>
    internal IReadOnlyList<Tensor>? MovingAverages => _movingAverages;

    /// <summary>Puts the moving average into the weights when <see cref="UseEma"/> (Keras
    /// <c>finalize_variable_values</c>, which <c>fit</c> calls when it ends); does nothing otherwise.</summary>
    /// <exception cref="InvalidOperationException">EMA is on but the optimizer is not built.</exception>
    public void FinalizeVariableValues()
    {
        if (!UseEma) return;
        if (_movingAverages is null)
        {
            throw new InvalidOperationException($"The {Name} optimizer has no moving averages yet: call Build first.");
        }
        OverwriteWeightsWithAverages();
    }

    /// <summary>Exchanges the weights and their moving averages (twice restores both), so that a model can be scored
    /// with its averaged weights in the middle of training; does nothing without averages.</summary>
    internal void SwapWeightsWithAverages()
    {
        if (_movingAverages is null) return;
        using var noGrad = no_grad();
        for (int i = 0; i < _movingAverages.Length; i++)
        {
            using var weight = _parameters[i].clone();
            _parameters[i].copy_(_movingAverages[i]);
            _movingAverages[i].copy_(weight);
        }
    }

    // The Keras constructor checks run only with use_ema, as in Keras.
    private void ConfigureEma(bool useEma, double emaMomentum, int? emaOverwriteFrequency)
    {
        if (useEma)
        {
            if (!(emaMomentum is >= 0 and <= 1))
            {
                throw new ArgumentException($"ema_momentum must be in the range [0, 1]; received {emaMomentum}.", nameof(emaMomentum));
            }
            if (emaOverwriteFrequency is < 1)
            {
                throw new ArgumentException(
                    $"ema_overwrite_frequency must be an integer ≥ 1 or null; received {emaOverwriteFrequency}.", nameof(emaOverwriteFrequency));
            }
        }
        UseEma = useEma;
        EmaMomentum = emaMomentum;
        EmaOverwriteFrequency = emaOverwriteFrequency;
    }

    // Slots like the moments: freed with them when the optimizer is built again or released.
    private void CreateMovingAverages(IReadOnlyList<Tensor> parameters) =>
        _movingAverages = UseEma ? ZeroSlots(parameters) : null;

    // Called by Step after the updates and before Iterations counts the step (inside its no_grad scope).
    private void UpdateMovingAverages()
    {
        if (_movingAverages is null) return;
        double momentum = Iterations == 0 ? 0
            : EmaWarmup ? Math.Min(EmaMomentum, (1.0 + Iterations) / (10.0 + Iterations))
            : EmaMomentum;
        // Held to the end of the loop: an implicit Scalar could be finalized while libtorch reads it (see Scalars).
        using var keep = momentum.ToScalar();
        using var take = (1 - momentum).ToScalar();
        for (int i = 0; i < _movingAverages.Length; i++)
        {
            // average = μ·average + (1 − μ)·weight, in place.
            _movingAverages[i].mul_(keep).add_(_parameters[i], alpha: take);
        }
        if (EmaOverwriteFrequency is { } every && (Iterations + 1) % every == 0)
        {
            OverwriteWeightsWithAverages();
        }
    }

    private void OverwriteWeightsWithAverages()
    {
        using var noGrad = no_grad();
        for (int i = 0; i < _movingAverages!.Length; i++) _parameters[i].copy_(_movingAverages[i]);
    }
}
