using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetRnn.Pipelines.Bench;

/// <summary>
/// How the bench drives a saved or freshly trained ML.NET tagger: a whole <c>IDataView</c> through
/// <c>Transform</c> with every output read by a cursor, and a <c>PredictionEngine</c> one sentence at a time.
/// </summary>
public static class TaggerServing
{
    /// <summary>An input row: the tokens of one sentence.</summary>
    public sealed class TokensRow
    {
        public string[] Tokens { get; set; } = [];
    }

    /// <summary>An output row: one predicted tag per token.</summary>
    public sealed class TagsRow
    {
        public string[]? PredictedTags { get; set; }
    }

    /// <summary>The output column the bench reads.</summary>
    public const string PredictedTagsColumn = "PredictedTags";

    /// <summary>An in-memory view of the sentences as a <c>Tokens</c> column (vector of text).</summary>
    public static IDataView TokensView(MLContext mlContext, IReadOnlyList<string[]> sentences) =>
        mlContext.Data.LoadFromEnumerable(sentences.Select(s => new TokensRow { Tokens = s }).ToArray());

    /// <summary>Transforms <paramref name="data"/> and reads the predicted tags of every row with one cursor.</summary>
    /// <returns>Seconds, and the tags read (to check that every token was tagged).</returns>
    public static (double Seconds, long Tags) TransformAndRead(ITransformer model, IDataView data)
    {
        long tags = 0;
        double seconds = BenchTiming.Seconds(() =>
        {
            var scored = model.Transform(data);
            var column = scored.Schema[PredictedTagsColumn];
            using var cursor = scored.GetRowCursor([column]);
            var getter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(column);
            VBuffer<ReadOnlyMemory<char>> buffer = default;
            while (cursor.MoveNext())
            {
                getter(ref buffer);
                tags += buffer.Length;
            }
        });
        return (seconds, tags);
    }

    /// <summary>Tags each sentence with its own <c>Predict</c> call.</summary>
    /// <returns>The wall time of the pass in seconds, and each call's time in microseconds.</returns>
    /// <exception cref="InvalidOperationException">A call returned a different number of tags than tokens.</exception>
    public static (double Seconds, double[] CallMicroseconds) PredictEach(PredictionEngine<TokensRow, TagsRow> engine, IReadOnlyList<string[]> sentences)
    {
        var calls = new double[sentences.Count];
        var row = new TokensRow();
        var pass = Stopwatch.StartNew();
        for (int i = 0; i < sentences.Count; i++)
        {
            row.Tokens = sentences[i];
            long start = Stopwatch.GetTimestamp();
            var tagged = engine.Predict(row);
            calls[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            if ((tagged.PredictedTags?.Length ?? 0) != sentences[i].Length)
                throw new InvalidOperationException(
                    $"The engine returned {tagged.PredictedTags?.Length ?? 0} tags for a sentence of {sentences[i].Length} tokens.");
        }
        return (pass.Elapsed.TotalSeconds, calls);
    }

    /// <summary>Checks that a Transform pass tagged every token.</summary>
    /// <exception cref="InvalidOperationException">Another number of tags than <paramref name="tokens"/>.</exception>
    public static void CheckAllTagged(long tags, long tokens)
    {
        if (tags != tokens)
            throw new InvalidOperationException($"Transform returned {tags} tags for {tokens} tokens.");
    }
}
