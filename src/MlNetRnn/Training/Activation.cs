using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>An element-wise (or, for softmax, last-axis) activation function, named as in Keras.</summary>
public sealed class Activation
{
    // Rooted for the process (see Scalars).
    private static readonly Scalar Three = 3L.ToScalar(), Six = 6L.ToScalar();

    private static readonly Dictionary<string, Func<Tensor, Tensor>> Functions = new(StringComparer.Ordinal)
    {
        ["linear"] = x => x.alias(),
        ["tanh"] = x => x.tanh(),
        ["relu"] = x => x.relu(),
        ["sigmoid"] = x => x.sigmoid(),
        ["softmax"] = x => x.softmax(-1),
        ["softplus"] = x => nn.functional.softplus(x),
        ["softsign"] = x => x / (x.abs() + Scalars.One),
        ["elu"] = x => nn.functional.elu(x, 1.0),
        ["selu"] = x => nn.functional.selu(x),
        ["silu"] = x => nn.functional.silu(x),
        ["swish"] = x => nn.functional.silu(x),
        ["gelu"] = x => nn.functional.gelu(x),
        ["exponential"] = x => x.exp(),
        // Keras 3: relu6(x + 3) / 6.
        ["hard_sigmoid"] = x => (x + Three).clamp(Scalars.Zero, Six) / Six,
    };

    private readonly Func<Tensor, Tensor> _apply;

    private Activation(string name, Func<Tensor, Tensor> apply)
    {
        Name = name;
        _apply = apply;
    }

    /// <summary>The Keras name, e.g. <c>tanh</c>.</summary>
    public string Name { get; }

    /// <summary>The names <see cref="Get"/> accepts.</summary>
    public static IReadOnlyCollection<string> Names => Functions.Keys;

    /// <summary>Resolves a Keras activation name; <c>null</c> means <c>linear</c>.</summary>
    /// <exception cref="ArgumentException">The name is not a known activation.</exception>
    public static Activation Get(string? name, string parameterName = "activation")
    {
        name ??= "linear";
        if (!Functions.TryGetValue(name, out var apply))
        {
            throw new ArgumentException(
                $"Unknown activation '{name}'; expected one of: {string.Join(", ", Functions.Keys)}.", parameterName);
        }
        return new Activation(name, apply);
    }

    /// <summary>Applies the activation; the result has the input's shape.</summary>
    public Tensor Apply(Tensor x) => _apply(x);

    public override string ToString() => Name;
}
