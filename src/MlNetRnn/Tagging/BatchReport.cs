namespace MlNetRnn.Models;

/// <summary>One training batch of a tagger: its 1-based epoch of <paramref name="Epochs"/>, its 1-based position among
/// the epoch's <paramref name="Batches"/>, and the running mean loss over the epoch's real tokens so far.</summary>
public sealed record BatchReport(int Epoch, int Epochs, int Batch, int Batches, double Loss);
