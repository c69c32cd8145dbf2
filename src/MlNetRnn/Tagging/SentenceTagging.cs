namespace MlNetRnn.Models;

/// <summary>Tags for one sentence: <c>Tags[i]</c> and its probability <c>Scores[i]</c> for token i;
/// <c>Distribution</c> is (tokens × tag count) row-major, in <see cref="SequenceTaggerNetwork.TagNames"/> order.</summary>
public sealed record SentenceTagging(string[] Tags, float[] Scores, float[] Distribution);
