using System.Text.Json.Nodes;
using MlNetRnn.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>
/// Keras <c>Conv1D</c> (channels last): slides <c>filters</c> kernels of <c>kernelSize</c> steps along the time axis.
/// Input (batch, steps, channels); output (batch, newSteps, filters), where newSteps is
/// ⌊(steps − dilationRate·(kernelSize − 1) − 1) / strides⌋ + 1 with <c>"valid"</c> padding and ⌈steps / strides⌉ with
/// <c>"same"</c>. Weights in Keras layout: kernel (kernelSize, channels, filters), bias (filters).
/// </summary>
/// <remarks>
/// <c>"same"</c> pads with zeros as Keras (TensorFlow) does: the extra step of an odd total goes on the right.
/// Beyond Keras, whose Conv1D drops masks: masked input steps are zeroed before the convolution, so padding
/// characters read exactly as the zero padding of a shorter input; with <c>"same"</c> and strides 1 the input mask
/// (batch, steps) is kept as the output mask (so a following <see cref="GlobalMaxPooling1D"/> ignores padding), and
/// otherwise the output has no mask, as in Keras. Masked output steps are not zeroed.
/// </remarks>
public sealed class Conv1D : Layer
{
    private static readonly string[] Paddings = ["valid", "same"];

    private readonly Initializer _kernelInitializer;
    private readonly Initializer _biasInitializer;
    private Parameter? _kernel;   // libtorch layout (filters, channels, kernelSize)
    private Parameter? _bias;
    private LayerWeight[] _weights = [];

    /// <param name="filters">Number of output channels. Must be positive.</param>
    /// <param name="kernelSize">Length of the window, in steps. Must be positive.</param>
    /// <param name="strides">Step between windows. Default 1.</param>
    /// <param name="padding"><c>"valid"</c> (no padding) or <c>"same"</c> (zeros so that newSteps = ⌈steps / strides⌉). Default <c>"valid"</c>.</param>
    /// <param name="dilationRate">Spacing between the kernel's taps. Default 1. Keras forbids strides &gt; 1 with dilationRate &gt; 1, and so does this layer.</param>
    /// <param name="activation">Non-linearity. Default none (<c>linear</c>).</param>
    /// <param name="useBias">Whether to add a bias. Default true.</param>
    /// <param name="kernelInitializer">Default <c>glorot_uniform</c> (fans count the window: kernelSize·channels and kernelSize·filters).</param>
    /// <param name="biasInitializer">Default <c>zeros</c>.</param>
    /// <param name="inputShape">Per-sample input shape (steps, channels); steps may be −1. Default none.</param>
    /// <param name="name">Layer name. Default: given by the model (<c>conv1d</c>, …).</param>
    /// <exception cref="ArgumentException">A size is not positive, the padding is unknown, or strides and dilation are both above 1.</exception>
    public Conv1D(
        int filters,
        int kernelSize,
        int strides = 1,
        string padding = "valid",
        int dilationRate = 1,
        string? activation = null,
        bool useBias = true,
        string kernelInitializer = "glorot_uniform",
        string biasInitializer = "zeros",
        long[]? inputShape = null,
        string? name = null)
        : base(name, inputShape)
    {
        Filters = Positive(filters, nameof(filters));
        KernelSize = Positive(kernelSize, nameof(kernelSize));
        Strides = Positive(strides, nameof(strides));
        DilationRate = Positive(dilationRate, nameof(dilationRate));
        ArgumentNullException.ThrowIfNull(padding);
        Padding = Paddings.Contains(padding.ToLowerInvariant())
            ? padding.ToLowerInvariant()
            : throw new ArgumentException($"Invalid padding for Conv1D; expected one of {string.Join(", ", Paddings)}; received padding={padding}.", nameof(padding));
        if (Strides > 1 && DilationRate > 1)
        {
            throw new ArgumentException(
                $"Conv1D does not support strides > 1 together with dilationRate > 1; received strides={Strides}, dilationRate={DilationRate}.", nameof(strides));
        }
        Activation = Activation.Get(activation, nameof(activation));
        UseBias = useBias;
        _kernelInitializer = Initializer.Get(kernelInitializer, nameof(kernelInitializer));
        _biasInitializer = Initializer.Get(biasInitializer, nameof(biasInitializer));
    }

    public int Filters { get; }
    public int KernelSize { get; }
    public int Strides { get; }
    public string Padding { get; }
    public int DilationRate { get; }
    public Activation Activation { get; }
    public bool UseBias { get; }

    /// <summary>Rebuilds the layer from <see cref="GetConfig"/>'s object (Keras keys; sizes as integers or
    /// one-element arrays, as Keras writes them; absent keys take Keras's defaults).</summary>
    /// <exception cref="InvalidDataException">A key is missing or has the wrong type, or data_format is not channels_last.</exception>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public static Conv1D FromConfig(LayerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var dataFormat = config.String("data_format", "channels_last");
        if (dataFormat != "channels_last")
        {
            throw new InvalidDataException($"The Conv1D config's 'data_format' must be channels_last; received {dataFormat}.");
        }
        return new Conv1D(
            config.SingleInt("filters"),
            config.SingleInt("kernel_size"),
            config.SingleInt("strides", 1),
            config.String("padding", "valid")!,
            config.SingleInt("dilation_rate", 1),
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
        config["filters"] = Filters;
        config["kernel_size"] = new JsonArray(KernelSize);
        config["strides"] = new JsonArray(Strides);
        config["padding"] = Padding;
        config["data_format"] = "channels_last";
        config["dilation_rate"] = new JsonArray(DilationRate);
        config["activation"] = Activation.Name;
        config["use_bias"] = UseBias;
        config["kernel_initializer"] = _kernelInitializer.Name;
        config["bias_initializer"] = _biasInitializer.Name;
        return config;
    }

    protected override int? InputRank => 2;

    public override IReadOnlyList<LayerWeight> Weights => _weights;

    protected override void CheckInputShape(long[] inputShape)
    {
        base.CheckInputShape(inputShape);
        if (inputShape[1] < 0)
        {
            throw new ArgumentException($"Layer '{Name ?? BaseName}' (Conv1D) needs a known channel axis; received shape {Shapes.FormatBatched(inputShape)}.", nameof(inputShape));
        }
        if (inputShape[0] >= 0 && OutputSteps(inputShape[0]) < 1)
        {
            throw new ArgumentException(
                $"Layer '{Name ?? BaseName}' (Conv1D) with kernelSize {KernelSize} and dilationRate {DilationRate} needs at least {Span} steps with \"valid\" padding; received shape {Shapes.FormatBatched(inputShape)}.",
                nameof(inputShape));
        }
    }

    protected override IReadOnlyList<long[]> OutputShapes(long[] inputShape) =>
        [[inputShape[0] < 0 ? -1 : OutputSteps(inputShape[0]), Filters]];

    protected override IReadOnlyList<(string Name, long[] Shape)> DeclaredWeights(long[] inputShape) =>
        UseBias
            ? [("kernel", [KernelSize, inputShape[1], Filters]), ("bias", [Filters])]
            : [("kernel", [KernelSize, inputShape[1], Filters])];

    protected override void CreateWeights(long[] inputShape, Generator? generator)
    {
        long channels = inputShape[1];
        _kernel = new Parameter(FromKeras(_kernelInitializer.Draw([KernelSize, channels, Filters], generator)).contiguous());
        register_parameter("kernel", _kernel);
        var weights = new List<LayerWeight> { new("kernel", _kernel, ToKeras, FromKeras) };
        if (UseBias)
        {
            _bias = new Parameter(_biasInitializer.Draw([Filters], generator));
            register_parameter("bias", _bias);
            weights.Add(new LayerWeight("bias", _bias, transposed: false));
        }
        _weights = weights.ToArray();
    }

    protected override IReadOnlyList<Tensor> Forward(Tensor inputs, Tensor? mask)
    {
        long steps = inputs.shape[1];
        if (OutputSteps(steps) < 1)
        {
            throw new ArgumentException(
                $"Layer '{Name}' (Conv1D) needs at least {Span} steps with \"valid\" padding; received input {Shapes.Format(inputs.shape)}.", nameof(inputs));
        }
        using var scope = NewDisposeScope();
        var x = mask is null ? inputs : inputs * mask.unsqueeze(-1).to_type(inputs.dtype);
        x = x.transpose(1, 2);   // libtorch convolves (batch, channels, steps)
        if (Padding == "same")
        {
            long total = Math.Max((OutputSteps(steps) - 1) * Strides + Span - steps, 0);
            x = nn.functional.pad(x, [total / 2, total - total / 2]);
        }
        var z = nn.functional.conv1d(x, _kernel!, _bias, stride: Strides, dilation: DilationRate);
        return [Activation.Apply(z.transpose(1, 2)).MoveToOuterDisposeScope()];
    }

    /// <summary>With <c>"same"</c> padding and strides 1 the input mask (batch, steps) still lines up and is kept;
    /// otherwise none (Keras's Conv1D drops masks).</summary>
    public override Tensor? ComputeMask(Tensor inputs, Tensor? mask) => Padding == "same" && Strides == 1 ? mask : null;

    // Steps one window covers.
    private long Span => (long)DilationRate * (KernelSize - 1) + 1;

    private long OutputSteps(long steps) => Padding == "same"
        ? (steps + Strides - 1) / Strides
        : steps < Span ? 0 : (steps - Span) / Strides + 1;

    // Keras (kernelSize, channels, filters) ↔ libtorch (filters, channels, kernelSize): the same permutation both ways.
    private static Tensor ToKeras(Tensor t) => t.permute(2, 1, 0);

    private static Tensor FromKeras(Tensor t) => t.permute(2, 1, 0);
}
