namespace MlNetRnn.Evaluation;

/// <summary>
/// Token-level scores of one tag. <see cref="Support"/> counts gold tokens with the tag, <see cref="PredictedCount"/>
/// predicted ones; a ratio whose denominator is 0 is defined as 0.
/// </summary>
/// <param name="Precision">Correct / predicted count.</param>
/// <param name="Recall">Correct / support.</param>
/// <param name="F1">Harmonic mean of precision and recall (0 when both are 0).</param>
/// <param name="Support">Number of gold tokens carrying the tag.</param>
/// <param name="PredictedCount">Number of tokens predicted with the tag.</param>
public sealed record TagMetrics(double Precision, double Recall, double F1, long Support, long PredictedCount);
