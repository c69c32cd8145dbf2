namespace MlNetRnn.Training;

/// <summary>Formats shapes the Keras way: <c>(None, 3, 3)</c>, where −1 is an unknown size.</summary>
public static class Shapes
{
    /// <summary>Formats a shape; a dimension of −1 prints as <c>None</c>.</summary>
    public static string Format(IEnumerable<long> shape)
    {
        var dims = shape.Select(d => d < 0 ? "None" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return dims.Length == 1 ? $"({dims[0]},)" : $"({string.Join(", ", dims)})";
    }

    /// <summary>Formats a per-sample shape with a leading <c>None</c> batch axis.</summary>
    public static string FormatBatched(IEnumerable<long> sampleShape) => Format(sampleShape.Prepend(-1));
}
