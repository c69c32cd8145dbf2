using static TorchSharp.torch;

namespace MlNetRnn.Models.Serialization;

/// <summary>The floating dtypes a model file holds weights in: their names in the config and their codes in the file.</summary>
internal static class WeightDType
{
    private static readonly (ScalarType Type, string Name, byte Code, int Size)[] Known =
    [
        (ScalarType.Float32, "float32", 1, sizeof(float)),
        (ScalarType.Float64, "float64", 2, sizeof(double)),
    ];

    /// <summary>How the known dtypes are listed in messages: <c>1 = float32, 2 = float64</c>.</summary>
    public static string Codes => string.Join(", ", Known.Select(k => $"{k.Code} = {k.Name}"));

    /// <summary>The Keras name, e.g. <c>float32</c>.</summary>
    /// <exception cref="InvalidOperationException">The dtype is not one a model file holds.</exception>
    public static string Name(ScalarType type) => Find(type).Name;

    public static byte Code(ScalarType type) => Find(type).Code;

    /// <summary>Bytes per value.</summary>
    public static int Size(ScalarType type) => Find(type).Size;

    public static ScalarType? FromName(string name) =>
        Known.Where(k => k.Name == name).Select(k => (ScalarType?)k.Type).FirstOrDefault();

    public static ScalarType? FromCode(byte code) =>
        Known.Where(k => k.Code == code).Select(k => (ScalarType?)k.Type).FirstOrDefault();

    private static (ScalarType Type, string Name, byte Code, int Size) Find(ScalarType type)
    {
        foreach (var known in Known)
        {
            if (known.Type == type) return known;
        }
        throw new InvalidOperationException($"A model file holds float32 or float64 weights; received a weight of dtype {type}.");
    }
}
