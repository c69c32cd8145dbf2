using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>Draws initial weight values the way the Keras initializer of the same name does.</summary>
public sealed class Initializer
{
    private static readonly Dictionary<string, Func<long[], Generator?, Tensor>> Functions = new(StringComparer.Ordinal)
    {
        ["zeros"] = (shape, _) => zeros(shape),
        ["ones"] = (shape, _) => ones(shape),
        // Keras RandomUniform / RandomNormal defaults: [-0.05, 0.05] and N(0, 0.05²).
        ["uniform"] = (shape, g) => Uniform(shape, 0.05, g),
        ["random_uniform"] = (shape, g) => Uniform(shape, 0.05, g),
        ["normal"] = (shape, g) => randn(shape, generator: g) * 0.05,
        ["random_normal"] = (shape, g) => randn(shape, generator: g) * 0.05,
        ["glorot_uniform"] = (shape, g) => Uniform(shape, Math.Sqrt(6.0 / (FanIn(shape) + FanOut(shape))), g),
        ["glorot_normal"] = (shape, g) => TruncatedNormal(shape, Math.Sqrt(2.0 / (FanIn(shape) + FanOut(shape))), g),
        ["he_uniform"] = (shape, g) => Uniform(shape, Math.Sqrt(6.0 / FanIn(shape)), g),
        ["he_normal"] = (shape, g) => TruncatedNormal(shape, Math.Sqrt(2.0 / FanIn(shape)), g),
        ["lecun_uniform"] = (shape, g) => Uniform(shape, Math.Sqrt(3.0 / FanIn(shape)), g),
        ["orthogonal"] = Orthogonal,
    };

    private readonly Func<long[], Generator?, Tensor> _draw;

    private Initializer(string name, Func<long[], Generator?, Tensor> draw)
    {
        Name = name;
        _draw = draw;
    }

    /// <summary>The Keras name, e.g. <c>glorot_uniform</c>.</summary>
    public string Name { get; }

    /// <summary>Resolves a Keras initializer name.</summary>
    /// <exception cref="ArgumentException">The name is not a known initializer.</exception>
    public static Initializer Get(string name, string parameterName)
    {
        if (!Functions.TryGetValue(name, out var draw))
        {
            throw new ArgumentException(
                $"Unknown initializer '{name}'; expected one of: {string.Join(", ", Functions.Keys)}.", parameterName);
        }
        return new Initializer(name, draw);
    }

    /// <summary>A new tensor of the given (Keras-layout) shape in the default floating dtype.</summary>
    public Tensor Draw(long[] shape, Generator? generator)
    {
        using var scope = NewDisposeScope();
        return _draw(shape, generator).to_type(get_default_dtype()).MoveToOuterDisposeScope();
    }

    public override string ToString() => Name;

    // Keras: for a (in, out) kernel fan_in = in, fan_out = out; larger ranks multiply in the receptive field.
    private static double FanIn(long[] shape) => shape.Length switch
    {
        0 => 1,
        1 => shape[0],
        _ => shape[^2] * ReceptiveField(shape),
    };

    private static double FanOut(long[] shape) => shape.Length switch
    {
        0 => 1,
        1 => shape[0],
        _ => shape[^1] * ReceptiveField(shape),
    };

    private static double ReceptiveField(long[] shape) => shape.Take(shape.Length - 2).Aggregate(1.0, (a, b) => a * b);

    private static Tensor Uniform(long[] shape, double limit, Generator? g) => rand(shape, generator: g) * (2 * limit) - limit;

    // Keras truncates at two standard deviations (and rescales so the stddev is as asked).
    private static Tensor TruncatedNormal(long[] shape, double stddev, Generator? g)
    {
        var t = empty(shape);
        nn.init.trunc_normal_(t, 0, 1, -2, 2, g);
        return t * (stddev / .87962566103423978);
    }

    // Keras Orthogonal: QR of a normal matrix, signs fixed by diag(R), transposed when rows < columns.
    private static Tensor Orthogonal(long[] shape, Generator? g)
    {
        if (shape.Length < 2)
        {
            throw new ArgumentException($"The orthogonal initializer needs a shape of rank 2 or more; received ({string.Join(", ", shape)}).");
        }
        long cols = shape[^1];
        long rows = shape.Aggregate(1L, (a, b) => a * b) / cols;
        var a = randn(new[] { Math.Max(rows, cols), Math.Min(rows, cols) }, generator: g);
        var (q, r) = linalg.qr(a);
        q = q * r.diagonal().sign();
        if (rows < cols)
        {
            q = q.t();
        }
        return q.reshape(shape);
    }
}
