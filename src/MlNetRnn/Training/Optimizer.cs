using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>
/// Updates trainable weights from their gradients. A name converts implicitly (<c>"adam"</c>, <c>"sgd"</c>,
/// <c>"rmsprop"</c>) with Keras defaults. One optimizer serves one model: its state (moments, step count)
/// belongs to that model's weights.
/// </summary>
public abstract partial class Optimizer
{
    private IReadOnlyList<Tensor> _parameters = [];
    private readonly List<Tensor> _slots = [];
    private object? _owner;
    private string _ownerName = "";
    private double _learningRate;

    /// <param name="learningRate">Step size, positive.</param>
    /// <param name="clipnorm">If set, each weight's gradient is rescaled so that its L2 norm is at most this (Keras: per variable). Default none.</param>
    /// <param name="clipvalue">If set, each gradient value is clipped to [−clipvalue, clipvalue]. Default none.</param>
    /// <param name="useEma">Keep an exponential moving average of the weights (Keras <c>use_ema</c>). Default false.</param>
    /// <param name="emaMomentum">Keras <c>ema_momentum</c>, in [0, 1]. Default 0.99.</param>
    /// <param name="emaOverwriteFrequency">Keras <c>ema_overwrite_frequency</c>: every this many steps the weights take the
    /// average; at least 1, or null for never. Default null.</param>
    /// <exception cref="ArgumentException">A value out of range, or both clipnorm and clipvalue (Keras allows one).</exception>
    protected Optimizer(double learningRate, double? clipnorm = null, double? clipvalue = null,
        bool useEma = false, double emaMomentum = 0.99, int? emaOverwriteFrequency = null)
    {
        ConfigureEma(useEma, emaMomentum, emaOverwriteFrequency);
        if (!(learningRate > 0) || double.IsInfinity(learningRate))
        {
            throw new ArgumentException($"The learning rate must be a positive number; received {learningRate}.", nameof(learningRate));
        }
        if (clipnorm is { } n && !(n > 0 && double.IsFinite(n)))
        {
            throw new ArgumentException($"clipnorm must be a positive number; received {n}.", nameof(clipnorm));
        }
        if (clipvalue is { } v && !(v > 0 && double.IsFinite(v)))
        {
            throw new ArgumentException($"clipvalue must be a positive number; received {v}.", nameof(clipvalue));
        }
        if (clipnorm is not null && clipvalue is not null)
        {
            throw new ArgumentException($"Only one of clipnorm and clipvalue can be set; received clipnorm={clipnorm} and clipvalue={clipvalue}.", nameof(clipvalue));
        }
        _learningRate = learningRate;
        ClipNorm = clipnorm;
        ClipValue = clipvalue;
    }

    /// <summary>The Keras name.</summary>
    public abstract string Name { get; }

    /// <summary>Learning rate used by the next step; schedules and callbacks may change it between steps.</summary>
    /// <exception cref="ArgumentException">Set to a negative, infinite or NaN value.</exception>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value))
            {
                throw new ArgumentException($"The learning rate must be a number ≥ 0; received {value}.", nameof(value));
            }
            _learningRate = value;
        }
    }

    /// <summary>Per-weight gradient norm limit; null for none.</summary>
    public double? ClipNorm { get; }

    /// <summary>Gradient value limit; null for none.</summary>
    public double? ClipValue { get; }

    /// <summary>Updates applied so far (Keras <c>optimizer.iterations</c>).</summary>
    public long Iterations { get; private set; }

    /// <summary>Whether <see cref="Build"/> has bound the optimizer to its weights.</summary>
    public bool Built { get; private set; }

    /// <summary>Resolves a Keras optimizer name with default settings.</summary>
    /// <exception cref="ArgumentException">The name is not a known optimizer.</exception>
    public static Optimizer Get(string name) => name switch
    {
        "adam" => new Adam(),
        "sgd" => new SGD(),
        "rmsprop" => new RMSprop(),
        _ => throw new ArgumentException($"Unknown optimizer '{name}'; expected one of: adam, sgd, rmsprop.", "optimizer"),
    };

    public static implicit operator Optimizer(string name) => Get(name);

    /// <summary>Binds the optimizer to the weights it will update and creates its slot variables (dropping any previous ones).</summary>
    public void Build(IReadOnlyList<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        DisposeSlots();
        _parameters = parameters;
        Iterations = 0;
        CreateSlots(parameters);
        CreateMovingAverages(parameters);
        Built = true;
    }

    /// <summary>Applies one update from the gradients currently stored on the weights, then clears them.</summary>
    /// <exception cref="InvalidOperationException">Not built.</exception>
    public void Step()
    {
        if (!Built) throw new InvalidOperationException($"The {Name} optimizer has no weights yet: call Build first.");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var indices = new List<int>(_parameters.Count);
        var weights = new List<Tensor>(_parameters.Count);
        var gradients = new List<Tensor>(_parameters.Count);
        for (int i = 0; i < _parameters.Count; i++)
        {
            if (_parameters[i].grad is { } g)
            {
                indices.Add(i);
                weights.Add(_parameters[i]);
                gradients.Add(g);
            }
        }
        if (gradients.Count > 0)
        {
            foreach (var g in gradients) ClipInPlace(g);
            Update(indices, weights, gradients);
        }
        UpdateMovingAverages();
        Iterations++;
    }

    /// <summary>Frees the slot variables and unbinds the weights; the next use builds afresh.</summary>
    public void Release()
    {
        DisposeSlots();
        _parameters = [];
        Iterations = 0;
        Built = false;
    }

    /// <summary>Claims the optimizer for one model (called when the model is compiled).</summary>
    /// <exception cref="ArgumentException">Another model has compiled this optimizer.</exception>
    internal void Attach(object owner, string ownerName)
    {
        if (_owner is not null && !ReferenceEquals(_owner, owner))
        {
            throw new ArgumentException(
                $"This {Name} optimizer is already compiled into model '{_ownerName}'; received it again for model '{ownerName}'. " +
                "Its state (moments, step count) belongs to the first model's weights: give each model its own optimizer.", "optimizer");
        }
        _owner = owner;
        _ownerName = ownerName;
    }

    /// <summary>Frees the state and lets another model compile the optimizer (when its model is recompiled or disposed).</summary>
    internal void Detach(object owner)
    {
        if (!ReferenceEquals(_owner, owner)) return;
        Release();
        _owner = null;
        _ownerName = "";
    }

    // Keras's order: clipnorm, else clipvalue. clipnorm rescales each weight's gradient by c / max(‖g‖, c). In place:
    // the gradient is cleared after the update anyway.
    private void ClipInPlace(Tensor gradient)
    {
        if (ClipNorm is { } c)
        {
            gradient.mul_(c / gradient.norm().clamp_min(c));
        }
        else if (ClipValue is { } v)
        {
            gradient.clamp_(-v, v);
        }
    }

    /// <summary>Creates per-weight state (e.g. Adam's moments), with <see cref="ZeroSlots"/>.</summary>
    protected abstract void CreateSlots(IReadOnlyList<Tensor> parameters);

    /// <summary>One zero tensor per weight, shaped like it: state that belongs to the optimizer, never to a caller's
    /// dispose scope, freed when the optimizer is built again or released.</summary>
    protected Tensor[] ZeroSlots(IReadOnlyList<Tensor> parameters)
    {
        var slots = parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        _slots.AddRange(slots);
        return slots;
    }

    /// <summary>Updates weight <paramref name="index"/> in place; <see cref="Iterations"/> is the count before this step.</summary>
    protected abstract void Update(int index, Tensor weight, Tensor gradient);

    /// <summary>Updates every weight that has a gradient, in place, then sets those gradients to zero. The default calls
    /// <see cref="Update(int, Tensor, Tensor)"/> per weight; an optimizer with a multi-tensor kernel overrides it.</summary>
    /// <param name="indices">Each weight's index in the list given to <see cref="Build"/>, ascending.</param>
    /// <param name="weights">The weights, in the same order.</param>
    /// <param name="gradients">Their gradients, already clipped; the method leaves them zero.</param>
    protected virtual void Update(IReadOnlyList<int> indices, IReadOnlyList<Tensor> weights, IReadOnlyList<Tensor> gradients)
    {
        for (int k = 0; k < indices.Count; k++)
        {
            Update(indices[k], weights[k], gradients[k]);
        }
        if (FusedKernels.Available)
        {
            FusedKernels.Zero(gradients);
        }
        else
        {
            foreach (var g in gradients) g.zero_();
        }
    }

    private void DisposeSlots()
    {
        foreach (var slot in _slots) slot.Dispose();
        _slots.Clear();
    }

    public override string ToString() => Name;
}
