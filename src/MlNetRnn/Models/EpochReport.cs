namespace MlNetRnn.Models;

/// <summary>One epoch of tagger training: mean loss over its real tokens, accuracy on dev data if given, time since training started.</summary>
public sealed record EpochReport(int Epoch, int Epochs, double Loss, double? DevAccuracy, TimeSpan Elapsed);
