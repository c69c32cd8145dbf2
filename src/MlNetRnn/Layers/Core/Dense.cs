using System.Text.Json.Nodes;
using MlNetRnn.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras <c>Dense</c>: output = activation(input·kernel + bias) on the last axis.
/// Input (batch, …, features); output (batch, …, units). Weights: kernel (features, units), bias (units).
/// </summary>
public sealed class Dense : Layer
{
    private readonly Initializer _kernelInitializer;
    private readonly Initializer _biasInitializer;
    private Tensor? _kernel;
    private Tensor? _bias;
    private LayerWeight[] _weights = [];

    /// <param name="units">Output size. Must be positive.</param>
    /// <param name="activation">Non-linearity. Default none (<c>linear</c>).</param>
    /// <param name="useBias">Whether to add a bias. Default true.</param>
    /// <param name="kernelInitializer">Default <c>glorot_uniform</c>.</param>
    /// <param name="biasInitializer">Default <c>zeros</c>.</param>
    /// <param name="inputShape">Per-sample input shape. Default none.</param>
    /// <param name="name">Layer name. Default: given by the model (<c>dense</c>, <c>dense_1</c>, …).</param>
    public Dense(
        int units,
        string? activation = null,
        bool useBias = true,
        string kernelInitializer = "glorot_uniform",
        string biasInitializer = "zeros",
        long[]? inputShape = null,
        string? name = null)
        : base(name, inputShape)
    {
        Units = Positive(units, nameof(units));
        Activation = Activation.Get(activation, nameof(activation));
        UseBias = useBias;
        _kernelInitializer = Initializer.Get(kernelInitializer, nameof(kernelInitializer));
        _biasInitializer = Initializer.Get(biasInitializer, nameof(biasInitializer));
    }

    public int Units { get; }
    public Activation Activation { get; }
    public bool UseBias { get; }

    /// <summary>Rebuilds the layer from <see cref="GetConfig"/>'s object (Keras keys; absent keys take Keras's defaults).</summary>
    /// <exception cref="InvalidDataException">A key is missing or has the wrong type.</exception>
    /// <exception cref="ArgumentException">A value is out of range (e.g. an unknown activation).</exception>
    public static Dense FromConfig(LayerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new Dense(
            config.Int("units"),
            config.String("activation", "linear"),
            config.Bool("use_bias", true),
            config.String("kernel_initializer", "glorot_uniform")!,
            config.String("bias_initializer", "zeros")!,
            config.InputShape,
            config.Name);
    }

    public override JsonObject GetConfig()
    {
        var config = base.GetConfig();
        config["units"] = Units;
        config["activation"] = Activation.Name;
        config["use_bias"] = UseBias;
        config["kernel_initializer"] = _kernelInitializer.Name;
        config["bias_initializer"] = _biasInitializer.Name;
        return config;
    }

    protected override int? InputRank => null;

    public override IReadOnlyList<LayerWeight> Weights => _weights;

    protected override IReadOnlyList<long[]> OutputShapes(long[] inputShape) => [[.. inputShape[..^1], Units]];

    protected override void CheckInputShape(long[] inputShape)
    {
        base.CheckInputShape(inputShape);
        if (inputShape[^1] < 0)
        {
            throw new ArgumentException($"Layer '{Name ?? BaseName}' (Dense) needs a known last axis; received shape {Shapes.FormatBatched(inputShape)}.", nameof(inputShape));
        }
    }

    protected override IReadOnlyList<(string Name, long[] Shape)> DeclaredWeights(long[] inputShape) =>
        UseBias ? [("kernel", [inputShape[^1], Units]), ("bias", [Units])] : [("kernel", [inputShape[^1], Units])];

    protected override void CreateWeights(long[] inputShape, Generator? generator)
    {
        long features = inputShape[^1];
        _kernel = new Parameter(_kernelInitializer.Draw([features, Units], generator));
        register_parameter("kernel", (Parameter)_kernel);
        var weights = new List<LayerWeight> { new("kernel", _kernel, transposed: false) };
        if (UseBias)
        {
            _bias = new Parameter(_biasInitializer.Draw([Units], generator));
            register_parameter("bias", (Parameter)_bias);
            weights.Add(new LayerWeight("bias", _bias, transposed: false));
        }
        _weights = weights.ToArray();
    }

    protected override IReadOnlyList<Tensor> Forward(Tensor inputs, Tensor? mask) => [ApplyToLastAxis(inputs)];

    /// <summary>The layer on inputs (…, features) of any rank, built for (features): <c>matmul</c> folds the leading axes
    /// itself, so a wrapper such as <see cref="TimeDistributed"/> needs no reshape (same kernel, same numbers).</summary>
    /// <returns>(…, units).</returns>
    internal Tensor ApplyToLastAxis(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        var z = inputs.matmul(_kernel!);
        if (_bias is not null)
        {
            z = z + _bias;
        }
        return Activation.Apply(z).MoveToOuterDisposeScope();
    }
}
