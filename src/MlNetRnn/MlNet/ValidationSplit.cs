using System.Globalization;

namespace MlNetRnn.MlNet;

/// <summary>Holds out a seeded share of the training sentences as validation data
/// (<see cref="SequenceTaggerOptions.ValidationFraction"/>).</summary>
internal static class ValidationSplit
{
    /// <summary>Splits sentences: round(fraction × count) of them, at least one, chosen by a shuffle seeded
    /// with <paramref name="seed"/>, go to validation; both parts keep the data's order.</summary>
    /// <exception cref="InvalidOperationException">No sentence would be left to train on.</exception>
    public static (List<string[]> Tokens, List<string[]> Tags, List<string[]> ValidationTokens, List<string[]> ValidationTags) Split(
        List<string[]> tokens, List<string[]> tags, double fraction, int seed)
    {
        int count = tokens.Count;
        int held = Math.Max(1, (int)Math.Round(fraction * count, MidpointRounding.AwayFromZero));
        if (held >= count)
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"ValidationFraction {fraction} holds out {held} of {count} training sentence(s) and leaves none to train on; give at least 2 sentences or set ValidationFraction to 0"));
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        var validation = order.Take(held).ToHashSet();
        List<string[]> trainTokens = [], trainTags = [], validationTokens = [], validationTags = [];
        for (int i = 0; i < count; i++)
        {
            (validation.Contains(i) ? validationTokens : trainTokens).Add(tokens[i]);
            (validation.Contains(i) ? validationTags : trainTags).Add(tags[i]);
        }
        return (trainTokens, trainTags, validationTokens, validationTags);
    }
}
