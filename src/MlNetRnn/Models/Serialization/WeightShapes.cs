namespace MlNetRnn.Models.Serialization;

/// <summary>
/// Counts the values in weights of given shapes without overflowing. The shapes come from
/// <see cref="Layers.Layer.WeightShapes"/> (what a layer's config implies) or from a file's records, and
/// <see cref="ModelFileReader"/> compares the two before any layer allocates, so a crafted config (units 2^30) is
/// refused instead of exhausting memory.
/// </summary>
internal static class WeightShapes
{
    /// <summary>Number of values in weights of these shapes; <see cref="long.MaxValue"/> when that overflows.</summary>
    public static long Count(IEnumerable<long[]> shapes)
    {
        long total = 0;
        foreach (var shape in shapes)
        {
            long count = 1;
            foreach (long d in shape)
            {
                if (d < 0 || (d > 0 && count > long.MaxValue / d)) return long.MaxValue;
                count *= d;
            }
            if (count > long.MaxValue - total) return long.MaxValue;
            total += count;
        }
        return total;
    }
}
