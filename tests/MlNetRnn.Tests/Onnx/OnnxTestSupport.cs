using MlNetRnn.Models;
using MlNetRnn.Onnx;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Onnx;

/// <summary>One output of an ONNX Runtime run: its shape and its floats or strings.</summary>
internal sealed record OnnxOutput(long[] Shape, float[]? Floats, string[]? Strings);

/// <summary>Exports models to bytes, runs them in ONNX Runtime, and compares with the native <see cref="Model.Predict(Tensor, int)"/>.</summary>
internal static class OnnxTestSupport
{
    public const double Tolerance = 1e-5;

    public static byte[] Export(Model model)
    {
        using var stream = new MemoryStream();
        OnnxExporter.Export(model, stream);
        return stream.ToArray();
    }

    /// <summary>Runs the model on named inputs: int64 or float32 tensors, or string arrays with their shape.</summary>
    public static IReadOnlyDictionary<string, OnnxOutput> Run(byte[] model, params (string Name, object Value)[] inputs)
    {
        // One thread: the suite shares two cores.
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        var values = new List<OrtValue>();
        try
        {
            foreach (var (_, value) in inputs)
            {
                values.Add(value switch
                {
                    Tensor t when t.dtype == ScalarType.Int64 => OrtValue.CreateTensorValueFromMemory(t.contiguous().data<long>().ToArray(), t.shape),
                    Tensor t => OrtValue.CreateTensorValueFromMemory(t.to_type(ScalarType.Float32).contiguous().data<float>().ToArray(), t.shape),
                    (string[] strings, long[] shape) => StringTensor(strings, shape),
                    _ => throw new ArgumentException($"Unsupported input {value.GetType()}."),
                });
            }
            using var runOptions = new RunOptions();
            var outputNames = session.OutputNames;
            using var results = session.Run(runOptions, inputs.Select(i => i.Name).ToArray(), values, outputNames);
            var outputs = new Dictionary<string, OnnxOutput>();
            for (int i = 0; i < outputNames.Count; i++)
            {
                var result = results[i];
                var info = result.GetTensorTypeAndShape();
                outputs[outputNames[i]] = info.ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.String
                    ? new OnnxOutput(info.Shape, null, result.GetStringTensorAsArray())
                    : new OnnxOutput(info.Shape, result.GetTensorDataAsSpan<float>().ToArray(), null);
            }
            return outputs;
        }
        finally
        {
            foreach (var value in values) value.Dispose();
        }
    }

    private static OrtValue StringTensor(string[] strings, long[] shape)
    {
        var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, shape);
        for (int i = 0; i < strings.Length; i++)
        {
            value.StringTensorSetElementAt(strings[i].AsSpan(), i);
        }
        return value;
    }

    /// <summary>Overwrites every weight with seeded values in [−0.5, 0.5), so zero-initialized biases are exercised too.</summary>
    public static void Randomize(Model model, int seed)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        model.SetWeights(model.GetWeights().Select(w => rand(w.shape, generator: generator) - 0.5).ToArray());
    }

    /// <summary>Right-padded ids (batch, max length) in [1, vocabulary), 0 after each row's length.</summary>
    public static Tensor PaddedIds(int[] lengths, int vocabulary, int seed, long? time = null)
    {
        using var generator = new Generator((ulong)seed);
        long width = time ?? lengths.Max();
        var ids = randint(1, vocabulary, [lengths.Length, width], dtype: ScalarType.Int64, generator: generator);
        return ids.masked_fill(arange(width).unsqueeze(0) >= tensor(lengths.Select(l => (long)l).ToArray()).unsqueeze(1), 0);
    }

    /// <summary>
    /// Asserts that ONNX's output matches the native one at real positions (all positions without a mask): largest
    /// absolute difference ≤ <see cref="Tolerance"/> and, for a last axis of classes, the same argmax everywhere.
    /// </summary>
    /// <param name="native">(batch, time, classes) or any shape.</param>
    /// <param name="onnx">The ONNX output.</param>
    /// <param name="real">(batch, time) true at real positions, or null.</param>
    /// <returns>The largest absolute difference.</returns>
    public static double AssertMatches(Tensor native, OnnxOutput onnx, Tensor? real, string what)
    {
        CollectionAssert.AreEqual(native.shape, onnx.Shape, $"{what}: shape");
        using var scope = NewDisposeScope();
        var other = tensor(onnx.Floats!).reshape(onnx.Shape);
        var expected = native.to_type(ScalarType.Float32);
        var keep = real is null ? ones_like(expected, dtype: ScalarType.Bool)
            : real.reshape([.. real.shape, .. Enumerable.Repeat(1L, (int)(expected.dim() - real.dim()))]).expand(expected.shape);
        double maxDifference = (expected - other).abs().masked_fill(keep.logical_not(), 0).max().item<float>();
        Assert.IsTrue(maxDifference <= Tolerance, $"{what}: largest difference {maxDifference:E2} exceeds {Tolerance:E0}.");
        long compared = 0;
        if (expected.dim() == 3 && real is not null)
        {
            var disagree = expected.argmax(-1).ne(other.argmax(-1)).logical_and(real).sum().item<long>();
            Assert.AreEqual(0L, disagree, $"{what}: argmax differs at {disagree} real positions.");
            compared = real.sum().item<long>();
        }
        // Shown with --logger "console;verbosity=detailed": the figures behind the report.
        Console.WriteLine($"onnx-vs-native {what}: max |diff| {maxDifference:E2}{(compared > 0 ? $", argmax equal at {compared}/{compared} real positions" : "")}");
        return maxDifference;
    }
}
