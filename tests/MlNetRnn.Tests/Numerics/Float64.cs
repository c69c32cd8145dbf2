using static TorchSharp.torch;

namespace MlNetRnn.Tests.Numerics;

/// <summary>Runs code with float64 as torch's default dtype, so that tensors and the weights of layers built inside
/// are float64 (gradient checks need it), and restores the previous default afterwards, even on failure.</summary>
internal static class Float64
{
    /// <summary>Runs <paramref name="body"/> in float64 and returns its result; no dispose scope is opened, so what
    /// it makes (e.g. a model) outlives the call.</summary>
    public static T Run<T>(Func<T> body)
    {
        var previous = get_default_dtype();
        set_default_dtype(ScalarType.Float64);
        try
        {
            return body();
        }
        finally
        {
            set_default_dtype(previous);
        }
    }

    /// <summary>Runs <paramref name="body"/> in float64 inside a dispose scope of its own.</summary>
    public static void Run(Action body) => Run(() =>
    {
        using var scope = NewDisposeScope();
        body();
        return true;
    });
}
