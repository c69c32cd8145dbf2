using TorchSharp;

namespace MlNetRnn;

/// <summary>
/// Scalars that libtorch calls take, made once and kept alive for the process.
/// </summary>
/// <remarks>A <see cref="Scalar"/> converted implicitly from a number for one call (<c>x.masked_fill(m, 0)</c>) is
/// unreachable as soon as its handle is passed, so the garbage collector may finalize it, freeing the native value,
/// while libtorch still reads it: seen as libtorch's "Scalar.toFloat: Expected false to be true" in long trainings.
/// Code that runs every step passes these rooted instances, or holds its own in a field or a <c>using</c>.</remarks>
internal static class Scalars
{
    public static readonly Scalar Zero = 0L.ToScalar();
    public static readonly Scalar One = 1L.ToScalar();
    public static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();
}
