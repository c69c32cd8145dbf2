namespace MlNetRnn.Evaluation;

/// <summary>Shared score arithmetic; empty denominators give 0 so that absent classes never yield NaN.</summary>
internal static class Ratio
{
    public static double Of(long numerator, long denominator) =>
        denominator == 0 ? 0.0 : (double)numerator / denominator;

    public static double F1(double precision, double recall) =>
        precision + recall == 0 ? 0.0 : 2 * precision * recall / (precision + recall);
}
