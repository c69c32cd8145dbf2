using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>Updates trainable weights from their gradients. A name converts implicitly (<c>"adam"</c>, <c>"sgd"</c>) with Keras defaults.</summary>
public abstract class Optimizer
{
    private IReadOnlyList<Tensor> _parameters = [];

    /// <summary>The Keras name.</summary>
    public abstract string Name { get; }

    /// <summary>Learning rate.</summary>
    public double LearningRate { get; }

    /// <summary>Updates applied so far (Keras <c>optimizer.iterations</c>).</summary>
    public long Iterations { get; private set; }

    protected Optimizer(double learningRate)
    {
        if (!(learningRate > 0) || double.IsInfinity(learningRate))
        {
            throw new ArgumentException($"The learning rate must be a positive number; received {learningRate}.", nameof(learningRate));
        }
        LearningRate = learningRate;
    }

    /// <summary>Resolves a Keras optimizer name with default settings.</summary>
    /// <exception cref="ArgumentException">The name is not a known optimizer.</exception>
    public static Optimizer Get(string name) => name switch
    {
        "adam" => new Adam(),
        "sgd" => new SGD(),
        _ => throw new ArgumentException($"Unknown optimizer '{name}'; expected one of: adam, sgd.", "optimizer"),
    };

    public static implicit operator Optimizer(string name) => Get(name);

    /// <summary>Binds the optimizer to the weights it will update and creates its slot variables.</summary>
    public void Build(IReadOnlyList<Tensor> parameters)
    {
        DisposeSlots();
        _parameters = parameters;
        Iterations = 0;
        CreateSlots(parameters);
    }

    /// <summary>Applies one update from the gradients currently stored on the weights, then clears them.</summary>
    public void Step()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            if (p.grad is { } g)
            {
                Update(i, p, g);
            }
        }
        Iterations++;
        foreach (var p in _parameters)
        {
            p.grad?.zero_();
        }
    }

    /// <summary>Creates per-weight state (e.g. Adam's moments).</summary>
    protected abstract void CreateSlots(IReadOnlyList<Tensor> parameters);

    /// <summary>Updates weight <paramref name="index"/> in place; <see cref="Iterations"/> is the count before this step.</summary>
    protected abstract void Update(int index, Tensor weight, Tensor gradient);

    /// <summary>Frees per-weight state.</summary>
    protected abstract void DisposeSlots();

    public override string ToString() => Name;
}
