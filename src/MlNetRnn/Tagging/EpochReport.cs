namespace MlNetRnn.Models;

/// <summary>One epoch of tagger training: mean loss over its real tokens, accuracy on dev data if given, time since training started.</summary>
public sealed record EpochReport(int Epoch, int Epochs, double Loss, double? DevAccuracy, TimeSpan Elapsed)
{
    /// <summary>The epoch (1-based) whose weights training keeps if it ends after this one: with dev data and early
    /// stopping, the first epoch with the best dev accuracy so far; otherwise this epoch. The last report's value is
    /// the epoch the trained network holds.</summary>
    public int KeptEpoch { get; init; } = Epoch;
}
