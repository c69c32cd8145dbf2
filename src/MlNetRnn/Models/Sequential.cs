using MlNetRnn.Layers;

namespace MlNetRnn.Models;

/// <summary>
/// Keras <c>Sequential</c>: a plain stack of single-output layers. The model is built as soon as its first
/// layer has an <c>inputShape</c> (or at the first <c>Fit</c>, <see cref="Model.Predict(TorchSharp.torch.Tensor, int)"/> or <see cref="Model.Evaluate"/>).
/// </summary>
public sealed class Sequential : Model
{
    private readonly List<Layer> _stack = [];
    private long[]? _declaredInputShape;

    /// <param name="name">Model name. Default <c>sequential</c>.</param>
    /// <param name="seed">Seed for initial weights and shuffling. Default: the global generator.</param>
    public Sequential(string name = "sequential", int? seed = null) : base(name, seed)
    {
    }

    /// <summary>Appends a layer.</summary>
    /// <exception cref="ArgumentException">The layer has several outputs, is already in the model, or does not fit the previous layer.</exception>
    public void Add(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer.OutputCount != 1)
        {
            throw new ArgumentException(
                $"All layers in a Sequential model should have a single output tensor; '{layer}' has {layer.OutputCount} (returnState?). Use the functional Model instead.",
                nameof(layer));
        }
        if (_stack.Contains(layer))
        {
            throw new ArgumentException($"Layer '{layer}' is already in model '{Name}'.", nameof(layer));
        }
        if (_stack.Count == 0)
        {
            _declaredInputShape = layer.InputShape;
        }
        else if (layer.InputShape is not null)
        {
            throw new ArgumentException($"Only the first layer of a Sequential model takes an inputShape; '{layer}' has one.", nameof(layer));
        }
        _stack.Add(layer);
        if (_declaredInputShape is not null)
        {
            try
            {
                BuildFrom(_declaredInputShape);
            }
            catch
            {
                _stack.RemoveAt(_stack.Count - 1);
                throw;
            }
        }
    }

    protected override void BuildFrom(long[] sampleShape)
    {
        if (_stack.Count == 0)
        {
            throw new InvalidOperationException($"Model '{Name}' has no layers; Add some first.");
        }
        var input = new Input(sampleShape);
        SymbolicTensor x = input;
        foreach (var layer in _stack)
        {
            x = layer.Apply(x)[0];
        }
        SetGraph([input], [x]);
    }
}
