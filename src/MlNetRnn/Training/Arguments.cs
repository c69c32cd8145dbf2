namespace MlNetRnn.Training;

/// <summary>The range checks of optimizer and callback arguments, with one message form: the argument's name, what
/// it must be, and what was received, e.g. <c>patience must be ≥ 0; received -1.</c></summary>
internal static class Arguments
{
    /// <summary>Returns <paramref name="value"/> when it is ≥ 0.</summary>
    /// <exception cref="ArgumentException">It is negative.</exception>
    public static int NonNegative(int value, string argumentName) => value >= 0
        ? value
        : throw new ArgumentException($"{argumentName} must be ≥ 0; received {value}.", argumentName);

    /// <summary>Returns <paramref name="value"/> when it is ≥ 0.</summary>
    /// <exception cref="ArgumentException">It is negative or NaN.</exception>
    public static double NonNegative(double value, string argumentName) => value >= 0
        ? value
        : throw new ArgumentException($"{argumentName} must be ≥ 0; received {value}.", argumentName);

    /// <summary>Returns a decay rate or momentum when it lies in [0, 1).</summary>
    /// <exception cref="ArgumentException">It is below 0, at least 1, or NaN.</exception>
    public static double Fraction(double value, string argumentName) => value is >= 0 and < 1
        ? value
        : throw new ArgumentException($"{argumentName} must be in [0, 1); received {value}.", argumentName);
}
